/**
 * An in-memory KV stand-in for the benchmark: a Map with expiry, behind the KVNamespace methods the
 * connector uses (text and JSON values). KV's one-write-per-second-per-key limit is not modelled.
 */
export class MemoryKV {
  private readonly entries = new Map<string, { value: string; expires: number; metadata: unknown }>()

  private live(key: string) {
    const e = this.entries.get(key)
    if (e && e.expires <= Date.now()) {
      this.entries.delete(key)
      return undefined
    }
    return e
  }

  async get(key: string, type?: string | { type?: string }): Promise<unknown> {
    const e = this.live(key)
    if (!e) return null
    const t = typeof type === 'string' ? type : (type?.type ?? 'text')
    return t === 'json' ? JSON.parse(e.value) : e.value
  }

  async getWithMetadata(key: string, type?: string | { type?: string }) {
    return { value: await this.get(key, type), metadata: this.live(key)?.metadata ?? null }
  }

  async put(
    key: string,
    value: string,
    options: { expirationTtl?: number; expiration?: number; metadata?: unknown } = {},
  ): Promise<void> {
    const expires = options.expirationTtl
      ? Date.now() + options.expirationTtl * 1000
      : options.expiration
        ? options.expiration * 1000
        : Number.POSITIVE_INFINITY
    this.entries.set(key, { value: String(value), expires, metadata: options.metadata ?? null })
  }

  async delete(key: string): Promise<void> {
    this.entries.delete(key)
  }

  async list(options: { prefix?: string; limit?: number } = {}) {
    const keys = [...this.entries.keys()]
      .filter((k) => k.startsWith(options.prefix ?? '') && this.live(k))
      .slice(0, options.limit ?? 1000)
      .map((name) => ({ name }))
    return { keys, list_complete: true, cacheStatus: null }
  }

  asBinding(): KVNamespace {
    return this as unknown as KVNamespace
  }
}
