import type { Logger } from '../lib/log'
import type { Result } from '../lib/result'
import { d1Call } from '../storage/d1-call'
import type { FailedRequestKind, NewFailedRequest } from '../storage/failed-requests'
import type { UpstreamError, UpstreamId } from '../upstream/error'
import { attemptOf } from './attempt'
import { afterFirstFailure } from './backoff'
import type { SendOutcome } from './outcome'

/** What `sendOrStore` needs: the clock, jitter, a log and the failed-request insert. */
export interface OutboxContext {
  now: () => number
  random: () => number
  log: Logger
  stores: { failedRequests: { insert(r: NewFailedRequest): D1PreparedStatement } }
}

/** The request as the cron would re-send it, should the call fail. */
export interface OutboxEntry {
  tenantId: string
  kind: FailedRequestKind
  /** The failed request's `guid` (our delivery's guid, or the webhook event key): a second store is a no-op. */
  key: string
  upstream: UpstreamId
  /** The request as stored for the retry. */
  body: string
  generatedTimestamp?: number | null
  meta?: Record<string, unknown>
}

export interface SendOrStoreOptions<T> {
  /** A success's HTTP status, for the attempt shown to operators (null when unknown). */
  okStatus?: (value: T) => number | null
  /**
   * Makes the failed request durable, with whatever must be written in the same batch (a delivery
   * record). Default: the insert alone, and a log line.
   */
  store?: (insert: D1PreparedStatement, error: UpstreamError) => Promise<void>
}

/**
 * The outbox: call the upstream now; when the call fails, store the request as a failed request —
 * `pending` and due after the first backoff step when the failure is retryable, `dead` otherwise — so
 * nothing is lost. Answers what happened as a value. Throws only when the request could be neither
 * sent nor stored (`StorageError`, or whatever `store` throws).
 */
export async function sendOrStore<T>(
  ctx: OutboxContext,
  entry: OutboxEntry,
  send: () => Promise<Result<T, UpstreamError>>,
  options: SendOrStoreOptions<T> = {},
): Promise<SendOutcome<T>> {
  const at = ctx.now()
  const result = await send()
  const now = ctx.now()
  const okStatus = result.ok && options.okStatus ? options.okStatus(result.value) : null
  const attempt = attemptOf(entry.upstream, at, now, result, okStatus)
  if (result.ok) return { status: 'SENT', value: result.value, attempt }
  const error = result.error
  const failure = afterFirstFailure(error, now, ctx.random)
  const insert = ctx.stores.failedRequests.insert({
    tenantId: entry.tenantId,
    kind: entry.kind,
    guid: entry.key,
    generatedTimestamp: entry.generatedTimestamp ?? null,
    eventBody: entry.body,
    ...(entry.meta ? { meta: entry.meta } : {}),
    ...failure,
    now,
  })
  if (options.store) await options.store(insert, error)
  else {
    await d1Call('failed_requests.insert', () => insert.run())
    ctx.log.warn(`${entry.upstream} call stored for retry`, {
      event_key: entry.key,
      http_status: error.status,
      retryable: error.retryable,
    })
  }
  const retryAt = failure.nextAttemptAt
  return retryAt === null
    ? { status: 'REJECTED', error, attempt }
    : { status: 'QUEUED', retryAt, error, attempt }
}
