import type { Deps } from '../deps'
import { describeError } from '../lib/log'
import { attemptEntry } from '../outbox/attempt'
import type { InboundEvent, InboundOutcome, InboundSource } from '../providers/types'
import type { SqlCondition } from '../storage/d1-call'
import {
  entry,
  type InboundEventRow,
  type InboundEventSource,
  type InboundState,
  type TrackingEntry,
} from '../storage/inbound-events'
import type { OnceRecord } from './once'

/**
 * The stored copy of each webhook delivery in `inbound_events` (docs/console.md): the row is inserted
 * in the dedupe claim's batch and settled in the outcome's batch; an event ignored before any claim is
 * written once, after its answer is decided. A replay (`replayOf`) updates the stored row instead.
 */

/** What an outcome means for the stored event. A `QUEUED` without `retryAt` was stored dead. */
export function stateOf(o: InboundOutcome): InboundState {
  switch (o.status) {
    case 'OK':
      return 'injected'
    case 'QUEUED':
      return o.retryAt === undefined ? 'dead' : 'queued'
    case 'IGNORED':
      return 'ignored'
    case 'DUPLICATE':
      return 'duplicate'
  }
}

/** One entry per CI360 call, or one naming the answer when none was made; a replay's are marked. */
function trackingOf(o: InboundOutcome, now: number, replay: boolean): TrackingEntry[] {
  const list = o.attempts.length > 0 ? o.attempts.map(attemptEntry) : [entry(now, o.status)]
  return replay ? list.map((e) => ({ ...e, replay: true })) : list
}

/** The failed request a CI360 failure is stored as (`injectOrQueue`'s event key). */
export const failedRequestGuid = (provider: string, key: string) => `${provider}:${key}`

export interface Recorder {
  /**
   * Statements for `handleOnce` (a delivery: the row rides in the claim's batch), and the condition,
   * true later in that batch, that this delivery's claim took the key.
   */
  once(tenantId: string): OnceRecord<InboundOutcome> & { claimed: SqlCondition }
  /** Write an outcome reached without a claim: an ignored delivery, or any replay. */
  write(o: InboundOutcome, tenantId: string | undefined): Promise<void>
}

export function recorder(
  deps: Deps,
  delivery: { source: InboundSource; route: { id: string } | undefined; rawBody: string; headers: Headers },
  event: InboundEvent,
  provider: InboundEventSource,
  replayOf: Pick<InboundEventRow, 'id'> | undefined,
): Recorder {
  const store = deps.stores.inboundEvents
  const row = (tenantId: string) => ({
    tenantId,
    source: provider,
    routeTenantId: delivery.route?.id ?? null,
    eventKey: event.key,
    type: event.eventType,
    messageId: event.messageId ?? null,
    body: delivery.rawBody,
    contentType: delivery.headers.get('content-type'),
  })
  // For operators: failing to record never changes the answer the provider gets.
  const exec = (op: string, statements: D1PreparedStatement[]) =>
    store.exec(op, statements).then(
      () => undefined,
      (e: unknown) => deps.log.warn('inbound event not recorded', describeError(e)),
    )
  const settle = (id: string, o: InboundOutcome, now: number) =>
    store.settle(id, stateOf(o), trackingOf(o, now, replayOf !== undefined), now, replayOf !== undefined)

  return {
    once(tenantId) {
      const inserted = store.insert(row(tenantId), deps.now(), 'claim')
      return {
        withClaim: [inserted.statement],
        claimed: store.claimedBy(inserted.id),
        withOutcome: (o) => [settle(inserted.id, o, deps.now())],
        failed: () => {
          const now = deps.now()
          return exec('inbound_events.failed', [
            store.settle(inserted.id, 'failed', [entry(now, 'ERROR')], now, false),
          ])
        },
      }
    },
    async write(o, tenantId) {
      const now = deps.now()
      if (replayOf) {
        const statements = [settle(replayOf.id, o, now)]
        // The event reached CI360 (or Genesys): a pending retry of its earlier failure would send it twice.
        if (o.status === 'OK' && tenantId) {
          statements.push(
            deps.stores.failedRequests.doneElsewhere(
              tenantId,
              o.attempts[0]?.upstream === 'genesys' ? 'genesys_event' : 'ci360_event',
              failedRequestGuid(provider, event.key),
              'sent by a replay of its webhook event',
              now,
            ),
          )
        }
        return exec('inbound_events.replay', statements)
      }
      if (!tenantId) return
      const inserted = store.insert(row(tenantId), now, stateOf(o), trackingOf(o, now, false))
      await exec('inbound_events.insert', [inserted.statement])
    },
  }
}
