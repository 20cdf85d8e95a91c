import * as z from 'zod/mini'
import { PROVIDER_IDS } from '../lib/vocabulary'
import { iso } from './operator-replies'

/** The reply of the Senders view's route (docs/console.md, "Senders"), inline like ./operator-replies.ts. */
export const SenderItem = z.object({
  provider: z.enum(PROVIDER_IDS),
  sender: z.nullable(z.string()),
  queued: z.number(),
  oldest_queued_at: z.nullable(iso()),
  configured_mps: z.nullable(z.number()),
  burst: z.nullable(z.number()),
  current_mps: z.nullable(z.number()),
  factor: z.nullable(z.number()),
  last_slow_down: z.nullable(z.object({ at: iso(), reason: z.string() })),
  slow_downs: z.nullable(z.number()),
  scheduled_until: z.nullable(iso()),
})
export const SenderList = z.object({
  status: z.literal('OK'),
  items: z.array(SenderItem),
  pacer_unavailable: z.boolean(),
})
