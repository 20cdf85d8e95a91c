import * as z from 'zod/mini'
import { CHANNELS, PROVIDER_IDS } from '../lib/vocabulary'
import { expected } from './coerce'

/** One route: a provider and the sender it sends from (replacing the creative's FROM). */
export const RouteSchema = z.object(
  {
    provider: z.enum(PROVIDER_IDS, { error: expected('"scg" or "twilio"') }),
    sender: z.string({ error: expected('a sender') }).check(z.minLength(1, { error: 'must not be empty' })),
  },
  { error: expected('an object {"provider": "scg"|"twilio", "sender": "…"}') },
)
export type Route = z.infer<typeof RouteSchema>

/**
 * Tenant `routes` (docs/guarantees.md, "Failover"): per creative CHANNEL (`SMS` when the creative names
 * none), the ordered routes a CI360 event follows; the first whose breaker lets it through sends.
 */
export const RoutesSchema = z.partialRecord(
  z.enum(CHANNELS, { error: expected(`a channel (${CHANNELS.join(', ')})`) }),
  z.array(RouteSchema).check(z.minLength(1, { error: 'must list at least one route' })),
  { error: expected('a JSON object of channel → [{"provider", "sender"}]') },
)
export type Routes = z.infer<typeof RoutesSchema>
