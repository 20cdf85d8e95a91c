import * as z from 'zod/mini'

/** The fixed number of logical shards a key hashes to (docs/scaling.md, "Shards"). Never changes. */
export const LOGICAL_SHARDS = 64

/** The default database binding: it owns every logical shard until told otherwise. */
export const HOME_BINDING = 'DB'

const BINDING = /^[A-Z][A-Z0-9_]*$/
const RANGE = /^(\d{1,2})(?:-(\d{1,2}))?$/

const ShardMapSchema = z.record(
  z.string().check(z.regex(BINDING, { error: 'binding names are upper case, digits and _' })),
  z.string(),
)

/** The binding of each logical shard (index = logical shard), or the issues of `d1_shard_map`. */
export type ShardMapResult = { ok: true; bindings: string[] } | { ok: false; issues: string[] }

/**
 * Parse `d1_shard_map` (docs/scaling.md): a JSON object binding → comma-separated ranges of logical
 * shards (`"0-31"`, `"32-47,60"`). Unset or blank: every shard on `DB`. The map must cover 0-63 exactly
 * once and name bindings that exist (`hasBinding`). Issues name the var and the fault, never its value.
 */
export function parseShardMap(raw: unknown, hasBinding: (name: string) => boolean): ShardMapResult {
  const fail = (why: string): ShardMapResult => ({ ok: false, issues: [`d1_shard_map: ${why}`] })
  if (raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '')) {
    return { ok: true, bindings: Array.from({ length: LOGICAL_SHARDS }, () => HOME_BINDING) }
  }
  let json: unknown = raw
  if (typeof raw === 'string') {
    try {
      json = JSON.parse(raw)
    } catch {
      return fail('not valid JSON')
    }
  }
  const parsed = ShardMapSchema.safeParse(json)
  if (!parsed.success) return fail('must be an object of binding name → shard ranges')
  const bindings: (string | undefined)[] = Array.from({ length: LOGICAL_SHARDS }, () => undefined)
  for (const [binding, ranges] of Object.entries(parsed.data)) {
    if (!hasBinding(binding)) return fail(`names a D1 binding the Worker does not have`)
    for (const part of ranges.split(',')) {
      const m = RANGE.exec(part.trim())
      if (!m) return fail('each range is N or N-M')
      const from = Number(m[1])
      const to = m[2] === undefined ? from : Number(m[2])
      if (from > to || to >= LOGICAL_SHARDS) return fail(`ranges lie within 0-${LOGICAL_SHARDS - 1}`)
      for (let s = from; s <= to; s++) {
        if (bindings[s] !== undefined) return fail('a logical shard is mapped twice')
        bindings[s] = binding
      }
    }
  }
  if (bindings.some((b) => b === undefined)) return fail(`does not cover every shard 0-${LOGICAL_SHARDS - 1}`)
  return { ok: true, bindings: bindings as string[] }
}
