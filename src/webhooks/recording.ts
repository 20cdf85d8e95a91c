import { describeError, type Logger } from '../lib/log'
import {
  createInboundEventStore,
  type InboundState,
  type NewInboundEvent,
  type TrackingEntry,
} from '../storage/inbound-events'

/** What a webhook reply's `status` means for the stored event (docs/console.md). */
const STATE_OF: Record<string, InboundState> = {
  OK: 'injected',
  QUEUED: 'queued',
  IGNORED: 'ignored',
  DUPLICATE: 'duplicate',
}
const stateOf = (status: string): InboundState => STATE_OF[status] ?? 'failed'

/**
 * The recording of one webhook delivery in `inbound_events` (the operator's Event Viewer), carried
 * through the pipeline in `Deps.inbound`. It touches the pipeline in three places only:
 * - `handleOnce` puts `claimStatement` in the same D1 batch as the dedupe claim and `outcomeStatements`
 *   in the batch that notes the outcome, so recording costs no extra round trip;
 * - the CI360 call reports each attempt with `track`;
 * - the route calls `finish` last, which writes the row only when nothing was claimed (an event
 *   ignored before the claim) or settles a replay that never reached the claim.
 * A replay (`replayOf`) skips the dedupe claim and appends to the stored row instead of adding one.
 */
export interface InboundRecording {
  readonly replay: boolean
  /** The row's tenant: the tenant the event resolved to, once known. */
  setTenant(tenantId: string): void
  track(entry: Omit<TrackingEntry, 'at' | 'replay'>): void
  claimStatement(dedupeSource: string): D1PreparedStatement | undefined
  outcomeStatements(status: string): D1PreparedStatement[]
  finish(status: string): Promise<void>
}

export interface RecordingInit extends Omit<NewInboundEvent, 'tenantId'> {
  /** The route tenant, else the default `tenant_id`; an event with no tenant at all is not recorded. */
  tenantId: string | undefined
  /** Replay of this stored row. */
  replayOf?: string
}

export function createInboundRecording(
  deps: { db: D1Database; now: () => number; log: Logger },
  init: RecordingInit,
): InboundRecording {
  const store = createInboundEventStore(deps.db)
  const replay = init.replayOf !== undefined
  let tenantId = init.tenantId
  let id = init.replayOf
  let settled = false
  const entries: TrackingEntry[] = []
  const event = (): NewInboundEvent | undefined => {
    if (!tenantId) return undefined
    const { replayOf: _, ...rest } = init
    return { ...rest, tenantId }
  }
  /** Every processing leaves one entry at least, so each replay shows in the tracking. */
  const settleEntries = (status: string): TrackingEntry[] => {
    const at = new Date(deps.now()).toISOString()
    const base = { target: null, http_status: null, latency_ms: null, outcome: status }
    const list = entries.length > 0 ? entries : [{ at, ...base }]
    return list.map((e) => (replay ? { ...e, replay: true } : e))
  }

  return {
    replay,
    setTenant(t) {
      tenantId = t
    },
    track(entry) {
      entries.push({ at: new Date(deps.now()).toISOString(), ...entry })
    },
    claimStatement(dedupeSource) {
      const e = event()
      if (replay || !e) return undefined
      const inserted = store.insert(e, deps.now(), { dedupeSource })
      id = inserted.id
      return inserted.statement
    },
    outcomeStatements(status) {
      if (!id) return []
      settled = true
      return [store.settle(id, stateOf(status), settleEntries(status), deps.now(), replay)]
    },
    async finish(status) {
      if (settled) return
      settled = true
      const statements = this.outcomeStatements(status)
      if (!id) {
        const e = event()
        if (!e) return
        const inserted = store.insert(e, deps.now(), stateOf(status))
        id = inserted.id
        statements.push(inserted.statement, ...this.outcomeStatements(status))
      }
      // For operators: a failure to record must not change the answer the provider gets.
      await store.exec('inbound_events.finish', statements).catch((e: unknown) => {
        deps.log.warn('inbound event not recorded', describeError(e))
      })
    },
  }
}

/**
 * A later attempt at an event stored for retry (failed request `ci360_event`, guid `<source>:<event key>`,
 * by the cron or an operator's Retry): tracked on the delivery's row, whose state follows (`injected`,
 * still `queued`, or `dead`). For operators only: a failure here never changes the retry's outcome.
 */
export async function trackStoredRetry(
  deps: { db: D1Database; now: () => number; log: Logger },
  tenantId: string,
  failedRequestKey: string,
  attempt: Omit<TrackingEntry, 'at' | 'target'>,
  state: InboundState,
): Promise<void> {
  const cut = failedRequestKey.indexOf(':')
  if (cut < 1) return
  const entry: TrackingEntry = { at: new Date(deps.now()).toISOString(), target: 'ci360', ...attempt }
  await deps.db
    .prepare(
      `UPDATE inbound_events SET state = ?, updated_at = ?, tracking = json_insert(tracking, '$[#]', json(?))
       WHERE tenant_id = ? AND event_key = ? AND source = ? AND state = 'queued'`,
    )
    .bind(
      state,
      deps.now(),
      JSON.stringify(entry),
      tenantId,
      failedRequestKey.slice(cut + 1),
      failedRequestKey.slice(0, cut),
    )
    .run()
    .catch((e: unknown) => deps.log.warn('inbound event retry not tracked', describeError(e)))
}
