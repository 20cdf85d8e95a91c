import { ci360ConfigOf } from '../ci360/client'
import type { TenantConfig } from '../config/tenant'
import { type Deps, withShard } from '../deps'
import { guard } from '../lib/app-error'
import { QUEUE_LOST_MS } from '../outbound/accept'
import { OPTED_OUT } from '../providers/opt-out'
import { webhookFormats } from '../providers/registry'
import type { InboundEvent, InboundOutcome, InboundSource } from '../providers/types'
import type { WebhookReplyBody } from '../providers/webhook-reply'
import type { SqlCondition } from '../storage/d1-call'
import { act } from './act'
import { planMo } from './mo'
import { handleOnce } from './once'
import { type HistoryUpdate, type InboundPlan, ignore } from './plan'
import { recorder } from './record'
import { planStatus } from './status'

/** One webhook delivery whose sender is already verified (or a stored one being run again). */
export interface InboundDelivery {
  source: InboundSource
  /** The tenant of the route it arrived on; undefined on SCG's global route. */
  route: TenantConfig | undefined
  rawBody: string
  headers: Headers
  /**
   * An operator's replay of this stored event: no dedupe claim; the stored row gains the tracking.
   * `tenant` is the tenant the event was stored for; the replay is planned for it, never re-resolved.
   */
  replayOf?: { id: string; tenant: TenantConfig }
  /** A status callback's guid from its URL (our Twilio callbacks carry it, docs/scaling.md). */
  guidHint?: string
}

export interface InboundResult {
  event: InboundEvent
  outcome: InboundOutcome
  /** The source's JSON reply for the outcome. */
  reply: WebhookReplyBody
}

/**
 * The one flow of every provider webhook (docs/architecture.md, "Inbound"): parse into our event,
 * plan (lookups only), claim the delivery once in D1, act (record the provider status, inject into
 * CI360 or queue), reply. A redelivery of a claimed key is `DUPLICATE` and does nothing. Bad input
 * throws `AppError` (400); storage down throws 503 so the provider redelivers. Each parsed delivery is
 * stored for operators (`record.ts`); a replay skips the claim and updates its stored row.
 */
export async function handleInbound(all: Deps, delivery: InboundDelivery): Promise<InboundResult> {
  const format = webhookFormats[delivery.source]
  const event = format.parse(delivery.rawBody, delivery.headers)
  const log = all.log.child({ webhook: delivery.source, tenant: delivery.route?.id, ...event.logFields })
  const planCtx = { ...all, log }
  const done = (outcome: InboundOutcome): InboundResult => {
    // One line per event: the status recorded for `guid` (if any) and the CI360 event sent (if any).
    log.info('webhook event handled', {
      outcome: outcome.status,
      reason: outcome.reason,
      guid: outcome.guid,
      event_name: outcome.eventName,
    })
    return { event, outcome, reply: format.reply(event, outcome) }
  }

  const planned: InboundPlan =
    event.type === 'status'
      ? await guard(() => planStatus(planCtx, format, delivery.route, event, delivery.guidHint))
      : event.type === 'mo'
        ? await guard(() => planMo(planCtx, format, delivery.route, event, delivery.replayOf?.tenant))
        : ignore(event.reason)
  // A replay acts for the tenant the event was stored for, or not at all.
  const stored = delivery.replayOf?.tenant
  const plan =
    stored && planned.kind === 'act' && planned.tenant.id !== stored.id
      ? ignore('the event now resolves to another tenant than the one it was stored for', stored.id)
      : planned
  // The claim, the stored event and the delivery's update share one database: the one of the delivery's
  // guid for a status, else of the event key (docs/scaling.md, "Shards"). A redelivery computes the same.
  const shardKey =
    (plan.kind === 'act' ? plan.history?.guid : undefined) ??
    (event.type === 'status' ? (event.echo?.guid ?? delivery.guidHint) : undefined) ??
    event.key
  const deps = withShard(all, shardKey)
  const ctx = { ...deps, log }
  const record = recorder(ctx, delivery, event, format.provider, delivery.replayOf)
  if (plan.kind === 'ignore') {
    const outcome: InboundOutcome = { status: 'IGNORED', reason: plan.reason, attempts: [] }
    await record.write(outcome, plan.tenantId ?? delivery.route?.id ?? deps.config.settings.tenant_id)
    return done(outcome)
  }
  // A tenant without CI360 settings is a configuration error (500): nothing is claimed, so the
  // redelivery after the fix is processed.
  if (plan.event) ci360ConfigOf(plan.tenant)

  // The provider status for our delivery's history, written before the reply: with the claim, in its
  // batch (one round trip), and only by the delivery whose claim took the key; a replay writes it alone.
  const { history } = plan
  const deliveries = deps.stores.deliveries
  const now = deps.now()
  const status = (onlyIf?: SqlCondition) =>
    history
      ? [
          deliveries.providerStatus(
            plan.tenant.id,
            history.guid,
            history.status,
            now,
            history.detail,
            history.apply,
            onlyIf,
          ),
          ...optOutStatements(deps, plan.tenant.id, history, now, onlyIf),
          ...(history.requeue
            ? [
                deliveries.backToQueue(
                  plan.tenant.id,
                  history.guid,
                  {
                    now,
                    until: now + QUEUE_LOST_MS,
                    detail: `failed for the sender's rate (${history.requeue.reason}); back on the queue`,
                    attempted: false,
                    from: ['sent'],
                  },
                  onlyIf,
                ),
              ]
            : []),
        ]
      : []
  const work = () => act(ctx, format.provider, event.key, plan)
  if (delivery.replayOf) {
    const outcome = await guard(async () => {
      if (history) await deliveries.exec('deliveries.providerStatus', status())
      return work()
    })
    await record.write(outcome, plan.tenant.id)
    return done(outcome)
  }
  const once = record.once(plan.tenant.id)
  const claimed = await handleOnce(
    deps.stores.webhookEvents,
    ctx,
    { source: format.provider, key: event.key, tenantId: plan.tenant.id, now },
    work,
    { ...once, withClaim: [...once.withClaim, ...status(once.claimed)] },
  )
  return done(claimed.duplicate ? { status: 'DUPLICATE', attempts: [] } : claimed.result)
}

/**
 * A provider's opt-out answer (docs/compliance.md): the delivery `rejected` with `OPTED_OUT` and the
 * number listed (source `provider`), in the claim's batch. The entry is written whether or not the claim
 * took the key (a redelivery finds it listed and writes nothing), so no extra round trip is needed.
 */
function optOutStatements(
  deps: Deps,
  tenantId: string,
  history: HistoryUpdate,
  now: number,
  onlyIf: SqlCondition | undefined,
): D1PreparedStatement[] {
  const { optOut } = history
  if (!optOut) return []
  const why = `${OPTED_OUT}: provider code ${optOut.code}`
  return [
    deps.stores.deliveries.transition(
      tenantId,
      history.guid,
      { state: 'rejected', now, attempted: false, lastError: why, detail: why },
      onlyIf,
    ),
    ...(optOut.entry ? deps.stores.suppressions.addStatements(tenantId, optOut.entry, 'provider', now) : []),
  ]
}
