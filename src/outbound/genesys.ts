import type { OutboundEvent } from '../ci360/event'
import type { TenantConfig } from '../config/tenant'
import { afterReply, type Deps } from '../deps'
import { receiptOf } from '../inbound/genesys'
import { attemptOf, forwardOrQueue } from '../inbound/inject'
import { attemptEntry } from '../inbound/record'
import { AppError, guard } from '../lib/app-error'
import { describeError, maskPhone } from '../lib/log'
import { validationError } from '../lib/validation'
import type { GenesysReply } from '../openapi/replies'
import type { Body } from '../openapi/reply'
import {
  type GenesysSend,
  genesysGuid,
  isGenesysGuid,
  OpenMessageSchema,
  sendOf,
} from '../providers/genesys/open-messaging'
import type { UpstreamAttempt } from '../providers/types'
import type { DeliveryRow } from '../storage/deliveries'
import { entry, type InboundState } from '../storage/inbound-events'
import { lookThenSend } from './lookup'
import { recordFirstAttempt } from './outcome'
import { claimLeaseMs } from './pipeline'
import type { PreparedOutbound } from './types'

type GenesysBody = Body<typeof GenesysReply>

/**
 * The message as the provider adapters take it: a CI360-shaped event (the Genesys id stands in for the
 * identity, so SCG's `external_id` echoes it back) and a creative from the text and attachments.
 */
export function buildGenesysOutbound(
  deps: Pick<Deps, 'provider'>,
  tenant: TenantConfig,
  send: GenesysSend,
  generatedTimestamp: number,
  origin: string | undefined,
): PreparedOutbound {
  const genesys = tenant.secrets.genesys
  if (!genesys) throw new AppError('CONFIG_INVALID', 'Genesys is not configured for this tenant.')
  const event: OutboundEvent = {
    eventType: 'outboundSystem',
    guid: genesysGuid(send.id),
    date: { generatedTimestamp },
    identityId: send.id,
    externalTenantId: tenant.id,
    impression: { creativeContent: '' },
    properties: { externalCode: 'genesys' },
  }
  const creative = {
    to: send.to,
    from: genesys.sender,
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

/** A verified Open Messaging body: what to send, or why it is not sent. Throws 400 for a bad shape. */
export function parseGenesysMessage(
  body: unknown,
  prefix = '',
): { send: GenesysSend } | { ignored: GenesysBody } {
  const parsed = OpenMessageSchema.safeParse(body)
  if (!parsed.success) throw validationError(parsed.error, prefix)
  const outcome = sendOf(parsed.data)
  if ('ignored' in outcome)
    return { ignored: { status: 'IGNORED', id: parsed.data.id, reason: outcome.ignored } }
  if (outcome.send.text.trim() === '' && outcome.send.mediaUrls.length === 0) {
    throw new AppError(
      'VALIDATION_FAILED',
      `Invalid request: ${prefix}text: is required (or an attachment).`,
      {
        details: { fields: [`${prefix}text`] },
      },
    )
  }
  return outcome
}

export interface GenesysRequest {
  tenant: TenantConfig
  /** The body as received: stored for retries and shown to operators. */
  rawBody: string
  send: GenesysSend
  origin: string | undefined
  /** The Multicloud channel it came in on (receipts go back there); none for Open Messaging. */
  channel?: string
}

export type ParsedGenesysMessage = ReturnType<typeof parseGenesysMessage>

/** One verified Genesys message, from either route: sent once, or recorded as ignored. */
export async function handleGenesysMessage(
  deps: Deps,
  req: Omit<GenesysRequest, 'send'>,
  parsed: ParsedGenesysMessage,
): Promise<GenesysBody> {
  if ('send' in parsed) return handleGenesysSend(deps, { ...req, send: parsed.send })
  await record(deps, { ...req, send: parsed.ignored }, 'ignored', [])
  return parsed.ignored
}

/** Send one Genesys message once: claim its id, send through the tenant's provider, store the outcome. */
async function handleGenesysSend(deps: Deps, req: GenesysRequest): Promise<GenesysBody> {
  const { tenant, send } = req
  const now = deps.now()
  const { event, provider, message } = buildGenesysOutbound(deps, tenant, send, now, req.origin)
  const log = deps.log.child({ tenant: tenant.id, genesys_id: send.id, provider: provider.id })
  const claim = await guard(() =>
    deps.stores.deliveries.claim(
      {
        tenantId: tenant.id,
        guid: event.guid,
        provider: provider.id,
        identityId: send.id,
        externalCode: 'genesys',
        recipientMasked: maskPhone(message.to) ?? null,
        generatedTimestamp: now,
        state: 'sending',
        now,
        eventBody: req.rawBody,
        genesys: { id: send.id, to: send.to, channel: req.channel },
      },
      claimLeaseMs(tenant),
    ),
  )
  if (!claim.claimed) {
    const { state, provider_message_id: id } = claim.existing
    if (state === 'sending') throw new AppError('IN_PROGRESS', 'This message is being sent right now.')
    await record(deps, req, 'duplicate', [])
    return { status: 'DUPLICATE', id: send.id, state, ...(id ? { message_id: id } : {}) }
  }

  const at = deps.now()
  // A claim taken over from a Worker that died mid-send: that send may have gone out, so look first.
  const result = claim.takeover
    ? (await lookThenSend(provider, message, (send.time ?? now) - claimLeaseMs(tenant))).result
    : await provider.send(message)
  const attempt = attemptOf(provider.id, at, deps.now(), result)
  const outboundReq = {
    providerId: provider.id,
    tenant,
    bodyText: req.rawBody,
    body: null,
    origin: req.origin,
  }
  try {
    const attempted = { tenant, event, provider: provider.id, message, result, req: outboundReq }
    const { body } = await recordFirstAttempt(deps, log, attempted)
    const { guid: _, ...rest } = body as Extract<typeof body, { status: 'OK' | 'QUEUED' }>
    await record(
      deps,
      req,
      rest.status === 'OK' ? 'injected' : 'queued',
      [attempt],
      result.ok ? result.value.messageId : null,
    )
    // Genesys must not resend what we stored: QUEUED is a 200 (we own the retry).
    return { ...rest, id: send.id }
  } catch (e) {
    if (!(e instanceof AppError) || e.code !== 'PROVIDER_REJECTED') throw e
    const row = {
      genesys_message_id: send.id,
      genesys_recipient: send.to,
      genesys_channel: req.channel ?? null,
    }
    const receipt = await sendFailedReceipt(deps, tenant, row, e.message)
    await record(deps, req, 'dead', receipt ? [attempt, receipt] : [attempt])
    const { guid: _, ...details } = e.details ?? {}
    throw new AppError(e.code, e.message, { cause: e, details: { ...details, id: send.id } })
  }
}

/**
 * The Genesys delivery in `inbound_events`, as every webhook delivery is (docs/console.md); event key
 * the Genesys id, so a queued send's retries are tracked on it. Written after the reply: the delivery
 * row claimed before it is what keeps a redelivery from sending twice, and failing to record changes
 * no answer (docs/scaling.md, queries per request).
 */
async function record(
  deps: Deps,
  req: Pick<GenesysRequest, 'tenant' | 'rawBody' | 'channel'> & { send: { id: string } },
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

/**
 * Tell Genesys a message will not be delivered (rejected, or our retries ended). A receipt that cannot
 * be sent is stored for the cron; one that can be neither sent nor stored is logged, since the send
 * outcome itself is already recorded. Answers the call made, if any.
 */
export async function sendFailedReceipt(
  deps: Deps,
  tenant: TenantConfig,
  row: Pick<DeliveryRow, 'genesys_message_id' | 'genesys_recipient' | 'genesys_channel'>,
  why: string,
): Promise<UpstreamAttempt | undefined> {
  const receipt = receiptOf(tenant, row, 'Failed', deps.now(), why)
  if (!receipt) return undefined
  try {
    return (await forwardOrQueue(deps, deps.log, tenant, `receipt:${row.genesys_message_id}`, receipt))
      .attempt
  } catch (e) {
    deps.log.error('genesys receipt lost', { id: row.genesys_message_id, ...describeError(e) })
    return undefined
  }
}

/** Our retries of a Genesys message ended (`dead`, `expired`): its `Failed` receipt. */
export async function receiptForEndedRetry(deps: Deps, tenant: TenantConfig, guid: string, why: string) {
  if (!isGenesysGuid(guid)) return
  const delivery = await deps.stores.deliveries.get(tenant.id, guid).catch(() => null)
  if (delivery?.source === 'genesys') await sendFailedReceipt(deps, tenant, delivery, why)
}

/** A stored Genesys message as the retry sends it; undefined when it is not an outbound text. */
export function storedGenesysOutbound(
  deps: Pick<Deps, 'provider'>,
  tenant: TenantConfig,
  body: unknown,
  generatedTimestamp: number,
  origin: string | undefined,
): PreparedOutbound | undefined {
  const parsed = parseGenesysMessage(body)
  return 'send' in parsed
    ? buildGenesysOutbound(deps, tenant, parsed.send, generatedTimestamp, origin)
    : undefined
}
