import type { TenantConfig } from '../config/tenant'
import { afterReply, type Deps, type RequestContext } from '../deps'
import { AppError, storageUnavailable } from '../lib/app-error'
import { describeError, maskPhone } from '../lib/log'
import type { Result } from '../lib/result'
import type { SendOutcome } from '../outbox/outcome'
import { sendOrStore } from '../outbox/send-or-store'
import { isOptOutCode, OPTED_OUT } from '../providers/opt-out'
import type { ProviderId, SendReceipt } from '../providers/types'
import type { UpstreamError } from '../upstream/error'
import { routeEffect } from './route-effect'
import { entryOfRefusedSend } from './suppression'
import type { PreparedOutbound } from './types'

/** The first attempt at a claimed message, from CI360 or Genesys. */
export interface FirstAttempt {
  tenant: TenantConfig
  prepared: PreparedOutbound
  /** The call: a send, or (after a claim taken over) a look-up first (`lookThenSend`). */
  send: () => Promise<Result<SendReceipt, UpstreamError>>
  /** The request as received: stored with a failed request for the retry. */
  bodyText: string
  /** This Worker's public origin, stored for the retry (Twilio's StatusCallback). */
  origin: string | undefined
}

/**
 * Cache phone → identity after a successful send, after the reply (a cache: the send is recorded in D1
 * already), and only when the mapping changes (`identity-cache.ts`, `needsWrite`); a KV failure is
 * only logged.
 */
export function rememberIdentity(deps: Deps, tenant: TenantConfig, identityId: string, phone?: string) {
  if (!phone) return Promise.resolve()
  return afterReply(deps, () =>
    deps.stores
      .identities(tenant.settings.cache_ttl, deps.log)
      .rememberIfChanged(phone, identityId, tenant.id, deps.now()),
  )
}

/**
 * Make the first provider call through the outbox and keep the delivery record in step: sent, queued
 * for the cron, or rejected (stored dead), answered as a value. A failed call is in D1 before we
 * answer; if D1 is down the claim is released and `STORAGE_UNAVAILABLE` (503) is thrown so the sender
 * redelivers.
 */
export async function sendFirstAttempt(
  ctx: RequestContext,
  a: FirstAttempt,
): Promise<SendOutcome<SendReceipt>> {
  const deliveries = ctx.stores.deliveries
  const { tenant, prepared } = a
  const { guid } = prepared.correlation
  const outcome = await sendOrStore(
    ctx,
    {
      tenantId: tenant.id,
      kind: prepared.provider.id,
      key: guid,
      upstream: prepared.provider.id,
      body: a.bodyText,
      generatedTimestamp: prepared.generatedTimestamp,
      ...(a.origin ? { meta: { origin: a.origin } } : {}),
    },
    a.send,
    {
      store: async (insert, error) => {
        try {
          await deliveries.exec(
            'outbound.failure',
            failedSendStatements(ctx, tenant, prepared, error, insert),
          )
        } catch (e) {
          ctx.log.error('could not store a failed request', describeError(e))
          await deliveries
            .release(tenant.id, guid)
            .catch((re: unknown) => ctx.log.error('claim release failed', describeError(re)))
          throw storageUnavailable(e)
        }
      },
    },
  )
  const to = maskPhone(prepared.message.to)
  if (outcome.status === 'SENT') {
    const messageId = outcome.value.messageId
    try {
      await deliveries.exec('deliveries.sent', [
        deliveries.transition(tenant.id, guid, {
          state: 'sent',
          now: ctx.now(),
          attempted: true,
          messageId,
          ...(messageId ? { detail: `message_id ${messageId}` } : {}),
          ...routeEffect(outcome.value, undefined),
        }),
      ])
    } catch (e) {
      // The message went out: answering 503 would invite a redelivery, so the send is reported as done.
      ctx.log.error('delivery record update failed after a successful send', describeError(e))
    }
    await rememberIdentity(ctx, tenant, prepared.correlation.identity, prepared.message.phone)
    ctx.log.info('outbound sent', { to, message_id: messageId })
    return outcome
  }
  const { error } = outcome
  ctx.log.warn('outbound failed', {
    to,
    kind: error.kind,
    http_status: error.status,
    provider_code: error.providerCode,
    retryable: error.retryable,
  })
  return outcome
}

/**
 * A failed first attempt as it is stored, in one transaction (sync route, queue consumer): the failed
 * request (`insert`: pending with its first backoff, or dead), the opt-out entry when the refusal says
 * the recipient opted out (Twilio 21610, docs/compliance.md), and the delivery `queued` or `rejected`.
 */
export function failedSendStatements(
  ctx: Pick<RequestContext, 'stores' | 'now'>,
  tenant: TenantConfig,
  prepared: Pick<PreparedOutbound, 'provider' | 'message' | 'correlation'>,
  error: UpstreamError,
  insert: D1PreparedStatement,
): D1PreparedStatement[] {
  const optOut = optOutOfRefusal(ctx, tenant, prepared, error)
  const why = optOut ? `${OPTED_OUT}: ${error.summary()}` : error.summary()
  return [
    insert,
    ...(optOut?.statements ?? []),
    ctx.stores.deliveries.transition(tenant.id, prepared.correlation.guid, {
      state: error.retryable ? 'queued' : 'rejected',
      now: ctx.now(),
      attempted: true,
      lastError: why,
      detail: why,
      // A timeout or a lost connection: the provider may have the message; look before re-sending.
      ...(error.ambiguous ? { outcomeUnknown: true } : {}),
      ...routeEffect(undefined, error),
    }),
  ]
}

/**
 * A provider's refusal that says the recipient opted out (`providers/opt-out.ts`): the statements that
 * add the number to the list (source `provider`); undefined for any other refusal.
 */
export function optOutOfRefusal(
  ctx: Pick<RequestContext, 'stores' | 'now'>,
  tenant: TenantConfig,
  prepared: Pick<PreparedOutbound, 'provider' | 'message' | 'correlation'>,
  error: UpstreamError,
): { statements: D1PreparedStatement[] } | undefined {
  // The provider that answered (a routed send's error names the route that refused it).
  const answered =
    error.upstream === 'scg' || error.upstream === 'twilio' ? error.upstream : prepared.provider.id
  if (!isOptOutCode(answered, error.providerCode)) return undefined
  const code = error.providerCode ?? ''
  const entry = entryOfRefusedSend(tenant, prepared.message, code, prepared.correlation.guid)
  if (!entry) return { statements: [] }
  return { statements: ctx.stores.suppressions.addStatements(tenant.id, entry, 'provider', ctx.now()) }
}

/** The request-level error a provider's refusal is answered with (`PROVIDER_REJECTED`, 502). */
export const providerRejected = (guid: string, provider: ProviderId, error: UpstreamError) =>
  new AppError('PROVIDER_REJECTED', `The provider rejected the message: ${error.message}`, {
    details: {
      guid,
      provider,
      provider_status: error.status ?? null,
      provider_code: error.providerCode ?? null,
    },
  })
