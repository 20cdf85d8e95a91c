import * as z from 'zod/mini'
import { PROVIDER_IDS } from '../lib/vocabulary'
import { iso } from './operator-replies'

/** Replies of the breakers and provider health routes (docs/console.md, "Routes and breakers"). */

const MODES = ['closed', 'open', 'half_open'] as const

export const BreakerItem = z.object({
  provider: z.enum(PROVIDER_IDS),
  state: z.enum(MODES),
  /** The operator's hold; null when the breaker decides by itself. */
  forced: z.nullable(z.enum(['open', 'closed'])),
  faults: z.number(),
  opened_at: z.nullable(iso()),
  reason: z.nullable(z.string()),
  changed_at: iso(),
  history: z.array(z.object({ at: iso(), from: z.enum(MODES), to: z.enum(MODES), reason: z.string() })),
})
export const BreakerList = z.object({
  status: z.literal('OK'),
  items: z.array(BreakerItem),
  /** True when a breaker did not answer (or there is no binding): it is left out of items. */
  breaker_unavailable: z.boolean(),
})
export const BreakerOne = z.object({ status: z.literal('OK'), item: BreakerItem })

export const ProviderHealthItem = z.object({
  provider: z.enum(PROVIDER_IDS),
  sends: z.number(),
  delivered: z.number(),
  delivered_pct: z.nullable(z.number()),
  median_receipt_seconds: z.nullable(z.number()),
  no_receipt_after_5m: z.number(),
  no_receipt_after_5m_pct: z.nullable(z.number()),
})
export const ProviderHealth = z.object({
  status: z.literal('OK'),
  from: iso(),
  to: iso(),
  window_minutes: z.number(),
  items: z.array(ProviderHealthItem),
})
