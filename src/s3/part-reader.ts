import { CopyFailure } from './copy-failure'

/** Bytes read past a full part to learn whether the file goes on; they start the next part. */
const LOOK_AHEAD = 64 * 1024
/** Smallest read: the idle timeout is "this much within `idleMs`", and reads stay few and large. */
const READ_STEP = 1024 * 1024

/**
 * Reads a source body in order into one part-sized buffer (sequential mode). Uses a BYOB reader with
 * workerd's `readAtLeast`, so bytes land in the part buffer directly, in few reads, without a copy per
 * network chunk. The buffer is the only per-copy memory: `capacity` plus 64 KiB of look-ahead.
 */
export class PartReader {
  private readonly reader: ReadableStreamBYOBReader | undefined
  /** BYOB reads move the memory into a new view; this always holds the current one. */
  private bytes: Uint8Array
  private filled = 0
  /** Bytes of the next part already read, at `bytes[capacity, capacity + ahead)`. */
  private ahead = 0
  private ended: boolean
  /** Bytes handed out in parts so far. */
  consumed = 0

  constructor(
    body: ReadableStream<Uint8Array> | null,
    private readonly capacity: number,
    private readonly idleMs: number,
  ) {
    this.reader = body?.getReader({ mode: 'byob' })
    this.ended = body === null
    this.bytes = new Uint8Array(capacity + LOOK_AHEAD)
  }

  /** The part read last. Valid until the next `next()` or `hasMore()`. */
  current(): Uint8Array {
    return this.bytes.subarray(0, this.filled)
  }

  /** Read the next part (full, or shorter at the end of the file) and return it. */
  async next(): Promise<Uint8Array> {
    this.filled = 0
    if (this.ahead > 0) {
      this.bytes.copyWithin(0, this.capacity, this.capacity + this.ahead)
      this.filled = this.ahead
      this.ahead = 0
    }
    while (this.filled < this.capacity && !this.ended) {
      this.filled += await this.readInto(
        this.filled,
        this.capacity,
        Math.min(READ_STEP, this.capacity - this.filled),
      )
    }
    this.consumed += this.filled
    return this.current()
  }

  /** Whether any byte follows the current part (reads a little ahead to find out). */
  async hasMore(): Promise<boolean> {
    if (this.ahead > 0) return true
    if (this.ended) return false
    this.ahead = await this.readInto(this.capacity, this.capacity + LOOK_AHEAD, 1)
    return this.ahead > 0
  }

  async cancel(): Promise<void> {
    await this.reader?.cancel().catch(() => undefined)
  }

  private async readInto(from: number, to: number, atLeast: number): Promise<number> {
    if (!this.reader) return 0
    const view = new Uint8Array(this.bytes.buffer, from, to - from)
    let timer: ReturnType<typeof setTimeout> | undefined
    const idle = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new CopyFailure('source', `less than 1 MiB in ${this.idleMs} ms`, { retryable: false })),
        this.idleMs,
      )
    })
    try {
      const { value, done } = await Promise.race([this.reader.readAtLeast(atLeast, view), idle])
      if (value) this.bytes = new Uint8Array(value.buffer)
      if (done) this.ended = true
      return value?.byteLength ?? 0
    } catch (cause) {
      await this.cancel()
      if (cause instanceof CopyFailure) throw cause
      throw new CopyFailure('source', 'the connection broke off mid-file', { retryable: false, cause })
    } finally {
      if (timer !== undefined) clearTimeout(timer)
    }
  }
}
