import * as z from 'zod/mini'
import { AppError } from '../lib/app-error'
import { cursorCodec } from '../lib/cursor'

/**
 * Query parameters of the operator API (failed requests, events, messages, stats) as zod/mini schemas.
 * Each schema's message is the rule a 400 `VALIDATION_FAILED` names with its parameter; empty
 * parameters count as absent; a query reports its first bad parameter in the order of its shape.
 */

export type Params = Record<string, string | undefined>

export const invalidParam = (param: string, rule: string) =>
  new AppError('VALIDATION_FAILED', `Invalid query parameter ${param}: ${rule}.`, {
    details: { fields: [param] },
  })

/** The last id of a page (failed requests, stored events). */
export const idCursor = cursorCodec<string>({
  prefix: 'v1:',
  maxLength: 64,
  write: (id) => id,
  read: (id) => (/^[0-9a-f]{29}$/.test(id) ? id : undefined),
})

/** The last row's (created_at, guid) of a message search page. */
export const messageCursor = cursorCodec<{ createdAt: number; guid: string }>({
  prefix: 'm1:',
  maxLength: 400,
  write: ({ createdAt, guid }) => `${createdAt}:${encodeURIComponent(guid)}`,
  read(text) {
    const m = /^(\d{1,15}):(.+)$/s.exec(text)
    return m ? { createdAt: Number(m[1]), guid: decodeURIComponent(m[2] as string) } : undefined
  },
})

export const oneOf = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.optional(z.enum(values, `must be one of ${values.join(', ')}`))

/** Trimmed; blank counts as absent. */
export const text = (max: number) => {
  const rule = `must be at most ${max} printable characters`
  return z.optional(
    z.pipe(
      z.string().check(
        z.trim(),
        z.maxLength(max, rule),
        z.refine((v) => !/\p{Cc}/u.test(v), rule),
      ),
      z.transform((v) => v || undefined),
    ),
  )
}

const ISO_8601 = /^\d{4}-\d\d-\d\d(T\d\d:\d\d(:\d\d(\.\d{1,3})?)?(Z|[+-]\d\d:\d\d)?)?$/

/** An ISO 8601 date or date-time (UTC unless an offset is given) as ms since the epoch, or NaN. */
const isoMs = (v: string) =>
  ISO_8601.test(v) ? Date.parse(/T.*(Z|[+-]\d\d:\d\d)$/.test(v) || !v.includes('T') ? v : `${v}Z`) : NaN

export const time = z.optional(
  z.pipe(
    z
      .string()
      .check(
        z.refine(
          (v) => !Number.isNaN(isoMs(v)),
          'must be an ISO 8601 date-time such as 2026-05-01T12:00:00Z',
        ),
      ),
    z.transform(isoMs),
  ),
)

const LIMIT_RULE = 'must be an integer from 1 to 100'
export const limit = z.optional(
  z.pipe(
    z.string().check(z.refine((v) => /^\d{1,3}$/.test(v) && Number(v) >= 1 && Number(v) <= 100, LIMIT_RULE)),
    z.transform(Number),
  ),
)

export const cursor = <T>(codec: { decode(cursor: string): T | undefined }) =>
  z.optional(
    z.pipe(
      z
        .string()
        .check(
          z.refine(
            (v) => codec.decode(v) !== undefined,
            'must be a next_cursor value returned by this endpoint',
          ),
        ),
      z.transform((v) => codec.decode(v) as T),
    ),
  )

/** `params` read by `schema`; the first bad parameter → 400 naming it. */
export function parseQuery<S extends z.ZodMiniType<object, Params>>(schema: S, params: Params): z.output<S> {
  const given = Object.fromEntries(Object.entries(params).filter(([, v]) => v !== undefined && v !== ''))
  const parsed = schema.safeParse(given)
  if (parsed.success) return parsed.data
  const issue = parsed.error.issues[0]
  throw invalidParam(String(issue?.path[0] ?? '(query)'), issue?.message ?? 'is invalid')
}

/** `from` and `to` checked against each other. */
export function checkRange(q: { from?: number | undefined; to?: number | undefined }): void {
  if (q.from !== undefined && q.to !== undefined && q.to <= q.from)
    throw invalidParam('to', 'must be after from')
}
