import * as z from 'zod/mini'
import { PROVIDER_IDS } from '../lib/vocabulary'
import { expected } from './coerce'

/** Segments per second: positive, at most 10,000 (no sender is faster; a typo like 1e9 is caught). */
const rate = z.number({ error: expected('a number of segments per second') }).check(
  z.refine((n: number) => n > 0, { error: 'must be more than 0' }),
  z.refine((n: number) => n <= 10_000, { error: 'must be at most 10000' }),
)

/** One sender's pace (docs/pacing.md): `mps` segments per second, `burst` (default `mps`) at once. */
export const SenderRateSchema = z.object(
  { mps: rate, burst: z.optional(rate) },
  { error: expected('an object {"mps": n, "burst"?: n}') },
)
export type SenderRate = z.infer<typeof SenderRateSchema>

/** Tenant `senders`: sender (FROM, `channel:…`, `sender_id:…`, Messaging Service SID) → its pace. */
export const SendersSchema = z.record(z.string().check(z.minLength(1)), SenderRateSchema, {
  error: expected('a JSON object of sender → {"mps": n}'),
})

/** Tenant `default_mps`: per provider, the pace of a sender `senders` does not name (absent: unpaced). */
export const DefaultMpsSchema = z.partialRecord(z.enum(PROVIDER_IDS), rate, {
  error: expected('a JSON object of provider → segments per second'),
})

export const DEFAULT_MPS: z.infer<typeof DefaultMpsSchema> = { scg: 10 }
