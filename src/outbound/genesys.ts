import type { Creative } from '../ci360/creative'
import type { OutboundEvent } from '../ci360/event'
import type { TenantConfig } from '../config/tenant'
import type { Deps } from '../deps'
import { forwardOrQueue, receiptOf } from '../inbound/genesys'
import { AppError, guard } from '../lib/app-error'
import { describeError, maskPhone } from '../lib/log'
import { validationError } from '../lib/validation'
import { type GenesysSend, OpenMessageSchema, sendOf } from '../providers/genesys/open-messaging'
import type { DeliveryRow } from '../storage/deliveries'
import { recordFirstAttempt } from './outcome'
import { claimLeaseMs } from './pipeline'
import type { PreparedOutbound, Reply } from './types'

/** Deliveries of Genesys messages are keyed apart from CI360 guids. */
export const genesysGuid = (id: string) => `genesys:${id}`

/** Marks a stored failed request as a Genesys send, so the cron re-reads it as one. */
export const GENESYS_SOURCE = 'genesys'

/**
 * The message as the provider adapters take it: a CI360-shaped event (the Genesys id stands in for the
 * identity, so SCG's `external_id` echoes it back) and a creative from the text and attachments.
 */
export function buildGenesysOutbound(
  deps: Pick<Deps, 'provider' | 'log'>,
  tenant: TenantConfig,
  send: GenesysSend,
  generatedTimestamp: number,
  origin: string | undefined,
): PreparedOutbound {
  const genesys = tenant.secrets.genesys
  if (!genesys) throw new AppError('CONFIG_INVALID', 'This tenant is not configured for Genesys (genesys).')
  const event: OutboundEvent = {
    eventType: 'outboundSystem',
    guid: genesysGuid(send.id),
    date: { generatedTimestamp },
    identityId: send.id,
    externalTenantId: tenant.id,
    impression: { creativeContent: '' },
    properties: { externalCode: GENESYS_SOURCE },
  }
  const creative: Creative = {
    to: send.to,
    ...(genesys.sender ? { from: genesys.sender } : {}),
    mediaUrls: send.mediaUrls,
    body: send.text,
    warnings: [],
  }
  const provider = deps.provider(genesys.provider, tenant, origin)
  const message = provider.prepare({ event, creative })
  if (!message.ok) throw new AppError('VALIDATION_FAILED', message.error.message)
  // The customer's number is not a CI360 identity: it is kept out of the identity cache.
  return { event, provider, message: { ...message.value, phone: undefined } }
}

/** Parse a verified Open Messaging body into what to send, or a reply for what is not sent. */
export function parseGenesysMessage(body: unknown): { send: GenesysSend } | { reply: Reply } {
  const parsed = OpenMessageSchema.safeParse(body)
  if (!parsed.success) throw validationError(parsed.error)
  const outcome = sendOf(parsed.data)
  if ('ignored' in outcome) {
    return {
      reply: { status: 200, body: { status: 'IGNORED', id: parsed.data.id, reason: outcome.ignored } },
    }
  }
  const { send } = outcome
  if (send.text.trim() === '' && send.mediaUrls.length === 0) {
    throw new AppError('VALIDATION_FAILED', 'Invalid request: text: is required (or an attachment url).', {
      details: { fields: ['text'] },
    })
  }
  return { send: outcome.send }
}

export interface GenesysRequest {
  tenant: TenantConfig
  bodyText: string
  send: GenesysSend
  origin: string | undefined
}

/** Send one Genesys message once: claim its id, send through the tenant's provider, store the outcome. */
export async function handleGenesysSend(deps: Deps, req: GenesysRequest): Promise<Reply> {
  const { tenant, send } = req
  const now = deps.now()
  const prepared = buildGenesysOutbound(deps, tenant, send, now, req.origin)
  const { event, provider, message } = prepared
  const log = deps.log.child({ tenant: tenant.id, genesys_id: send.id, provider: provider.id })
  const claim = await guard(() =>
    deps.stores.deliveries.claim(
      {
        tenantId: tenant.id,
        guid: event.guid,
        provider: provider.id,
        identityId: send.id,
        externalCode: GENESYS_SOURCE,
        recipientMasked: maskPhone(message.to) ?? null,
        generatedTimestamp: now,
        state: 'sending',
        now,
        source: 'genesys',
        genesysMessageId: send.id,
        genesysRecipient: send.to,
      },
      claimLeaseMs(tenant),
    ),
  )
  if (!claim.claimed) return duplicateReply(send.id, claim.existing)

  log.info('genesys message sending', { to: maskPhone(message.to) })
  const result = await provider.send(message)
  const outboundReq = {
    providerId: provider.id,
    tenant,
    bodyText: req.bodyText,
    body: null,
    origin: req.origin,
    source: GENESYS_SOURCE,
  } as const
  try {
    const reply = await recordFirstAttempt(deps, log, {
      tenant,
      event,
      provider: provider.id,
      message,
      result,
      req: outboundReq,
    })
    const { guid: _guid, ...rest } = reply.body
    // Genesys must not resend what we stored: QUEUED is a 200 (we own the retry).
    return { status: 200, body: { ...rest, id: send.id } }
  } catch (e) {
    if (e instanceof AppError && e.code === 'PROVIDER_REJECTED') {
      await sendFailedReceipt(
        deps,
        tenant,
        { genesys_message_id: send.id, genesys_recipient: send.to },
        e.message,
      )
      const { guid: _guid, ...details } = e.details ?? {}
      throw new AppError(e.code, e.message, { cause: e, details: { ...details, id: send.id } })
    }
    throw e
  }
}

function duplicateReply(id: string, existing: DeliveryRow): Reply {
  if (existing.state === 'sending') {
    throw new AppError('IN_PROGRESS', 'This message is being sent right now; do not redeliver it.', {
      details: { id },
    })
  }
  return {
    status: 200,
    body: {
      status: 'DUPLICATE',
      id,
      state: existing.state,
      ...(existing.provider_message_id ? { message_id: existing.provider_message_id } : {}),
    },
  }
}

/**
 * Tell Genesys a message will not be delivered (rejected, or our retries ended). A receipt that cannot
 * be sent is stored for the cron; one that can be neither sent nor stored is logged, since the send
 * outcome itself is already recorded.
 */
export async function sendFailedReceipt(
  deps: Deps,
  tenant: TenantConfig,
  row: Pick<DeliveryRow, 'genesys_message_id' | 'genesys_recipient'>,
  why: string,
): Promise<void> {
  if (!tenant.secrets.genesys?.open_messaging) return
  const receipt = receiptOf(row, 'Failed', deps.now(), { code: 'GeneralError', message: why.slice(0, 200) })
  if (!receipt) return
  try {
    await forwardOrQueue(deps, deps.log, tenant, `receipt:${row.genesys_message_id}`, receipt)
  } catch (e) {
    deps.log.error('genesys receipt lost', { id: row.genesys_message_id, ...describeError(e) })
  }
}
