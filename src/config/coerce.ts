import * as z from 'zod/mini'

/**
 * Lambda environments held every setting as a string ("3600", "true", JSON text); wrangler `[vars]` and
 * tenant secrets may hold native JSON types. These schemas accept both.
 */

const blankToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v)

/** An error message function: "is required" when the key is missing, else "must be <expected>". */
export const expected =
  (what: string) =>
  (issue: { input?: unknown }): string =>
    issue.input === undefined ? 'is required' : `must be ${what}`

/** Stands in for text that is not JSON, so the schema fails without quoting the text. */
const INVALID_JSON = '\u0000not-json'

/** `z.preprocess` for zod/mini: map the input, then validate. */
export const preprocess = <T extends z.ZodMiniType>(fn: (v: unknown) => unknown, schema: T) =>
  z.pipe(z.transform(fn), schema)

export const boolish = preprocess(
  (v) => {
    const b = blankToUndefined(v)
    if (typeof b !== 'string') return b
    const t = b.trim().toLowerCase()
    if (t === 'true') return true
    if (t === 'false') return false
    return b
  },
  z.boolean({ error: expected('true or false') }),
)

export const intish = preprocess(
  (v) => {
    const b = blankToUndefined(v)
    if (typeof b === 'string' && /^\s*-?\d+\s*$/.test(b)) return Number(b)
    return b
  },
  z.int({ error: expected('a whole number') }),
)

/** A whole number within [min, max]; `intRange(5)` has no upper bound. */
export const intRange = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  intish.check(
    z.refine((n: number) => n >= min, { error: `must be at least ${min}` }),
    z.refine((n: number) => n <= max, { error: `must be at most ${max}` }),
  )

export const text = preprocess(
  (v) => (typeof v === 'number' || typeof v === 'boolean' ? String(v) : v),
  z.string({ error: expected('a string') }),
)

/** A non-empty string, or undefined when blank/missing (Lambda configs often left vars empty). */
export const optionalText = preprocess(blankToUndefined, z.optional(text))

/** Like `optionalText`, but when present it must be an http(s) URL. */
export const optionalUrl = preprocess(blankToUndefined, z.optional(z.url({ error: 'must be a URL' })))

/** JSON given either as text (as in Lambda env vars) or natively. */
export function jsonish<T extends z.ZodMiniType>(schema: T) {
  return preprocess((v) => {
    const b = blankToUndefined(v)
    if (typeof b !== 'string') return b
    try {
      return JSON.parse(b)
    } catch {
      // JSON.parse's message quotes the value; report the problem without it.
      return INVALID_JSON
    }
  }, schema)
}

/** Like `jsonish`, but blank or missing is undefined (the setting is off). */
export const optionalJson = <T extends z.ZodMiniType>(schema: T) =>
  preprocess(blankToUndefined, z.optional(jsonish(schema)))

export const stringMap = z.record(z.string(), text, { error: expected('a JSON object of strings') })

/** A list given as a JSON array or as comma-separated text. */
export const stringList = preprocess(
  (v) => {
    if (typeof v !== 'string') return v
    const t = v.trim()
    if (t.startsWith('[')) {
      try {
        return JSON.parse(t)
      } catch {
        return INVALID_JSON
      }
    }
    return t === '' ? [] : t.split(',').map((s) => s.trim())
  },
  z.array(z.string().check(z.minLength(1, { error: 'must not contain empty entries' })), {
    error: expected('a list of strings'),
  }),
)
