import type { Ci360Event } from '../ci360/client'
import type { TenantConfig } from '../config/tenant'
import type { RequestContext } from '../deps'
import { storageUnavailable } from '../lib/app-error'
import { E164 } from '../lib/e164'
import { describeError } from '../lib/log'
import { sendCi360Event } from '../outbox/ci360-event'
import { OPTED_OUT, scopedAddressOf, suppressionChannelOf } from '../providers/opt-out'
import type { OutboundMessage, ProviderId } from '../providers/types'
import type { SuppressionEntry, SuppressionRow } from '../storage/suppressions'

/**
 * The opt-out check before every send (docs/compliance.md, "Suppression on every send"): the statement
 * that finds an entry blocking `message` (a tenant-wide entry or one for the sender actually used, on
 * the message's channel scope), to ride in the claim's batch; undefined for an address that is not a
 * phone number (nothing can list it).
 */
export function suppressionCheck(
  ctx: Pick<RequestContext, 'stores'>,
  tenantId: string,
  message: OutboundMessage,
): D1PreparedStatement | undefined {
  const address = message.address ?? message.phone
  if (!address) return undefined
  return ctx.stores.suppressions.blockingStatement(
    tenantId,
    address,
    suppressionChannelOf(message.channel),
    message.sender,
  )
}

/** The same check on its own round trip (a retry has no claim to ride in); null when nothing blocks. */
export function findSuppression(
  ctx: Pick<RequestContext, 'stores'>,
  tenantId: string,
  message: OutboundMessage,
): Promise<SuppressionRow | null> {
  const address = message.address ?? message.phone
  if (!address) return Promise.resolve(null)
  return ctx.stores.suppressions.blocking(
    tenantId,
    address,
    suppressionChannelOf(message.channel),
    message.sender,
  )
}

/** What the delivery record and the failed request say of a suppressed send. */
export const suppressedDetail = (row: Pick<SuppressionRow, 'source' | 'sender'>) =>
  `${OPTED_OUT}: the number is on the opt-out list (source ${row.source}${row.sender ? ', this sender' : ''}); not sent`

/** The statement that moves a claimed delivery to `suppressed` (no provider call was made). */
export const suppressedStatement = (
  ctx: Pick<RequestContext, 'stores' | 'now'>,
  tenantId: string,
  guid: string,
  row: Pick<SuppressionRow, 'source' | 'sender'>,
) =>
  ctx.stores.deliveries.transition(tenantId, guid, {
    state: 'suppressed',
    now: ctx.now(),
    attempted: false,
    lastError: OPTED_OUT,
    detail: suppressedDetail(row),
  })

/**
 * Move a claimed delivery to `suppressed` (no provider call was made). If D1 fails, the claim is released
 * (so a redelivery is checked again rather than told `IN_PROGRESS`) and 503 is thrown.
 */
export async function recordSuppressed(
  ctx: Pick<RequestContext, 'stores' | 'now' | 'log'>,
  tenantId: string,
  guid: string,
  row: Pick<SuppressionRow, 'source' | 'sender'>,
): Promise<void> {
  const deliveries = ctx.stores.deliveries
  try {
    await deliveries.exec('deliveries.suppressed', [suppressedStatement(ctx, tenantId, guid, row)])
  } catch (e) {
    await deliveries
      .release(tenantId, guid)
      .catch((re: unknown) => ctx.log.error('claim release failed', describeError(re)))
    throw storageUnavailable(e)
  }
}

/**
 * The list entry for a provider's opt-out answer (Twilio 21610, SCG 1005): source `provider`, the code
 * as its keyword, the message or event id as evidence; the sender kept only with `opt_out_scope:
 * sender`. Undefined without a recipient address.
 */
export function providerOptOutEntry(
  tenant: TenantConfig,
  a: { to: string | undefined; channel?: SuppressionEntry['channel']; sender: string | undefined },
  code: string,
  evidence: string | undefined,
): SuppressionEntry | undefined {
  if (!a.to) return undefined
  const scoped = scopedAddressOf(a.to)
  if (!E164.test(scoped.address)) return undefined
  return {
    address: scoped.address,
    channel: a.channel ?? scoped.channel,
    source: 'provider',
    sender: tenant.settings.opt_out_scope === 'sender' ? (a.sender ?? '') : '',
    keyword: code,
    ...(evidence ? { evidence } : {}),
  }
}

/** The entry for a send the provider refused with an opt-out code, from the message as it was sent. */
export const entryOfRefusedSend = (
  tenant: TenantConfig,
  message: OutboundMessage,
  code: string,
  evidence: string | undefined,
) =>
  providerOptOutEntry(
    tenant,
    {
      to: message.address ?? message.phone,
      channel: suppressionChannelOf(message.channel),
      sender: message.sender,
    },
    code,
    evidence,
  )

/** A suppressed CI360 send, as `suppressed_event` tells CI360. */
export interface SuppressedSend {
  guid: string
  provider: ProviderId
  identity: string
  responseTrackingCode: string | null
  message: OutboundMessage
}

/**
 * Tell CI360 a send was suppressed: `suppressed_event`, when the tenant set it, with the identity, the
 * RTC, the channel scope and the reason. Through the outbox (`sendCi360Event`, key `suppressed:<guid>`,
 * so a second call stores it once). Never throws: the suppression is stored
 * already; an event that can be neither sent nor stored is logged.
 */
export async function notifySuppressed(
  ctx: RequestContext,
  tenant: TenantConfig,
  s: SuppressedSend,
): Promise<'OK' | 'QUEUED' | 'NOT_CONFIGURED' | 'FAILED'> {
  const name = tenant.settings.suppressed_event
  if (!name) return 'NOT_CONFIGURED'
  const event: Ci360Event = {
    eventName: name,
    datahub_id: s.identity,
    ...(s.responseTrackingCode ? { responseTrackingCode: s.responseTrackingCode } : {}),
    channel: suppressionChannelOf(s.message.channel),
    reason: OPTED_OUT,
    provider: s.provider,
  }
  try {
    const sent = await sendCi360Event(ctx, tenant.id, ctx.ci360(tenant), `suppressed:${s.guid}`, event)
    return sent.status === 'SENT' ? 'OK' : 'QUEUED'
  } catch (e) {
    ctx.log.error('suppressed event not sent', { guid: s.guid, event_name: name, ...describeError(e) })
    return 'FAILED'
  }
}
