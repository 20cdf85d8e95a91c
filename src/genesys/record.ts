import type { TenantConfig } from '../config/tenant'
import { afterReply, type Deps } from '../deps'
import { describeError } from '../lib/log'
import { attemptEntry } from '../outbox/attempt'
import type { UpstreamAttempt } from '../providers/types'
import { entry, type InboundState } from '../storage/inbound-events'

/** The request as recorded: its tenant, the body as received, and the Multicloud channel, if any. */
export interface RecordedRequest {
  tenant: TenantConfig
  rawBody: string
  channel?: string
  send: { id: string }
}

/**
 * The Genesys delivery in `inbound_events`, as every webhook delivery is (docs/console.md); event key
 * the Genesys id, so a queued send's retries are tracked on it. Written after the reply: the delivery
 * row claimed before it is what keeps a redelivery from sending twice, and failing to record changes
 * no answer (docs/scaling.md, queries per request).
 */
export async function recordGenesys(
  deps: Deps,
  req: RecordedRequest,
  state: InboundState,
  attempts: UpstreamAttempt[],
  messageId: string | null = null,
) {
  const now = deps.now()
  const store = deps.stores.inboundEvents
  const row = {
    tenantId: req.tenant.id,
    source: 'genesys',
    routeTenantId: req.tenant.id,
    eventKey: req.send.id,
    type: req.channel ? 'multicloud' : 'open_messaging',
    messageId,
    body: req.rawBody,
    contentType: 'application/json',
  } as const
  const tracking = attempts.length ? attempts.map(attemptEntry) : [entry(now, state.toUpperCase())]
  const statement = store.insert(row, now, state, tracking).statement
  await afterReply(deps, async () => {
    await store
      .exec('inbound_events.insert', [statement])
      .catch((e: unknown) => deps.log.warn('inbound event not recorded', describeError(e)))
  })
}
