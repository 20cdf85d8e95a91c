import type { TenantConfig } from '../config/tenant'
import { type Deps, type RequestContext, withRowShard } from '../deps'
import { AppError } from '../lib/app-error'
import type { ProviderId } from '../lib/vocabulary'
import type { Reply as ReplyOf, retryReplies } from '../openapi/reply'
import { OPTED_OUT } from '../providers/opt-out'
import { type AttemptResult, attemptRow, LEASE_MS } from '../retry/engine'
import type { RetryKinds } from '../retry/types'
import type { FailedRequestKind, FailedRequestRow } from '../storage/failed-requests'

type Reply = ReplyOf<typeof retryReplies>

const notFound = (id: string) =>
  new AppError('NOT_FOUND', 'No failed request with this id for this tenant.', { details: { id } })

const inProgress = (id: string) =>
  new AppError('IN_PROGRESS', 'This failed request is being retried right now; try again shortly.', {
    details: { id },
  })

/** One failed request of one tenant. */
export interface AdminTarget {
  tenant: TenantConfig
  id: string
}

/**
 * `POST …/failed-requests/:id/retry`: one attempt now, through the same engine step as the cron, and
 * the reply the original route would give for that result. A `done` row is not sent again: it is
 * answered like a redelivery (`DUPLICATE`).
 */
export async function retryNow(
  deps: RequestContext,
  kinds: RetryKinds,
  { tenant, id }: AdminTarget,
): Promise<Reply> {
  const now = deps.now()
  const token = crypto.randomUUID()
  const claimed = await deps.stores.leases.claimOne(tenant.id, id, now, LEASE_MS, token)
  if (!claimed) {
    const row = await deps.stores.failedRequests.get(tenant.id, id)
    if (!row) throw notFound(id)
    if (row.state === 'done') return duplicateReply(deps, kinds, row)
    throw inProgress(id)
  }
  return replyFor(kinds, await attemptRow(deps, kinds, claimed, token, now))
}

async function duplicateReply(deps: Deps, kinds: RetryKinds, row: FailedRequestRow): Promise<Reply> {
  const delivery = isOutbound(kinds, row.kind)
    ? await withRowShard(deps, row, row.guid).stores.deliveries.get(row.tenant_id, row.guid)
    : null
  return {
    status: 200,
    body: {
      status: 'DUPLICATE',
      id: row.id,
      guid: row.guid,
      state: row.state,
      ...(delivery?.provider_message_id ? { message_id: delivery.provider_message_id } : {}),
    },
  }
}

/** A kind whose rows are outbound sends (their kind is the provider id), by its registered hooks. */
const isOutbound = (kinds: RetryKinds, kind: FailedRequestKind): kind is ProviderId =>
  (kinds as Partial<RetryKinds>)[kind]?.outbound === true

function replyFor(kinds: RetryKinds, r: AttemptResult): Reply {
  const { row, outcome } = r
  const about = { id: row.id, guid: row.guid, state: r.stored.state, attempts: r.attempts }
  const outbound = isOutbound(kinds, row.kind)
  const provider = outbound ? row.kind : 'ci360'
  switch (outcome.result) {
    case 'done':
      // A queued tenant's message goes back on the send queue instead (docs/pacing.md): not sent yet.
      if (outcome.delivery?.handedOff) return { status: 202, body: { status: 'ACCEPTED', ...about } }
      return {
        status: 200,
        body: outbound
          ? {
              status: 'OK',
              provider: row.kind as ProviderId,
              message_id: outcome.messageId ?? null,
              ...about,
            }
          : { status: 'OK', ...about },
      }
    case 'retry':
    case 'deferred':
      return {
        status: 202,
        body: {
          status: 'QUEUED',
          retry_at: new Date(r.stored.nextAttemptAt ?? r.stored.now).toISOString(),
          last_error: outcome.error,
          ...about,
        },
      }
    case 'expired':
      return { status: 200, body: { status: 'STALE', reason: outcome.error, ...about } }
    case 'dead': {
      // Not sent because the number opted out (docs/compliance.md): an outcome, as the CI360 route answers it.
      if (outcome.delivery?.suppressed) {
        return { status: 200, body: { status: 'SUPPRESSED', reason: OPTED_OUT, ...about } }
      }
      if (r.exhausted) {
        throw new AppError(
          'PROVIDER_UNAVAILABLE',
          `Still failing after ${r.attempts} attempts (retry_max_attempts); the request is now dead: ${outcome.error}`,
          { details: { ...about, provider, provider_status: outcome.httpStatus } },
        )
      }
      if (outcome.appError) {
        const e = outcome.appError
        throw new AppError(e.code, e.message, { details: { ...e.details, ...about } })
      }
      throw new AppError('PROVIDER_REJECTED', `The provider rejected the message: ${outcome.error}`, {
        details: {
          ...about,
          provider,
          provider_status: outcome.httpStatus,
          provider_code: outcome.providerCode ?? null,
        },
      })
    }
  }
}

/**
 * `DELETE …/failed-requests/:id`: forget the request. A pending outbound message will then never be
 * sent, so its delivery record becomes `dead` ("discarded by an operator"); other rows leave the
 * delivery record as it is.
 */
export async function discard(
  deps: RequestContext,
  kinds: RetryKinds,
  { tenant, id }: AdminTarget,
): Promise<void> {
  const now = deps.now()
  const removed = await deps.stores.failedRequests.remove(tenant.id, id, now)
  if (!removed) {
    const row = await deps.stores.failedRequests.get(tenant.id, id)
    throw row ? inProgress(id) : notFound(id)
  }
  if (removed.state === 'pending' && isOutbound(kinds, removed.kind)) {
    const deliveries = withRowShard(deps, removed, removed.guid).stores.deliveries
    await deliveries.exec('deliveries.discarded', [
      deliveries.transition(tenant.id, removed.guid, {
        state: 'dead',
        now,
        attempted: false,
        lastError: 'discarded by an operator',
        detail: 'discarded by an operator',
      }),
    ])
  }
}
