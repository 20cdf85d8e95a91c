import type { TenantConfig } from '../config/tenant'
import { type Deps, withShard } from '../deps'
import { AppError, guard } from '../lib/app-error'
import { maskPhone } from '../lib/log'
import { validationError } from '../lib/validation'
import type { GenesysReply } from '../openapi/replies'
import type { Body } from '../openapi/reply'
import { lookThenSend } from '../outbound/lookup'
import { providerRejected, sendFirstAttempt } from '../outbound/outcome'
import { claimLeaseMs, segmentsOfInput } from '../outbound/pipeline'
import { recordSuppressed, suppressedDetail, suppressionCheck } from '../outbound/suppression'
import type { PreparedOutbound } from '../outbound/types'
import { type GenesysSend, genesysGuid, OpenMessageSchema, sendOf } from '../providers/genesys/open-messaging'
import { isOptOutCode, OPTED_OUT } from '../providers/opt-out'
import type { ProviderId } from '../providers/types'
import { recipientKeyOf } from '../storage/recipient-key'
import type { SuppressionRow } from '../storage/suppressions'
import type { UpstreamError } from '../upstream/error'
import { sendFailedReceipt } from './receipts'
import { recordGenesys } from './record'

type GenesysBody = Body<typeof GenesysReply>

/**
 * A Genesys message as its tenant's provider prepares it: the provider-neutral input, with the Genesys
 * id standing in for the identity (so SCG's `external_id` echoes it back) and `genesys` as its code.
 */
export function prepareGenesysSend(
  deps: Pick<Deps, 'provider'>,
  tenant: TenantConfig,
  send: GenesysSend,
  generatedTimestamp: number,
  origin: string | undefined,
): PreparedOutbound {
  const genesys = tenant.secrets.genesys
  if (!genesys) throw new AppError('CONFIG_INVALID', 'Genesys is not configured for this tenant.')
  const correlation = {
    identity: send.id,
    externalCode: 'genesys',
    tenant: tenant.id,
    guid: genesysGuid(send.id),
  }
  const provider = deps.provider(genesys.provider, tenant, origin)
  const message = provider.prepare({
    to: send.to,
    ...(genesys.sender !== undefined ? { from: genesys.sender } : {}),
    body: send.text,
    media: send.mediaUrls,
    correlation,
  })
  if (!message.ok) throw new AppError('VALIDATION_FAILED', message.error.message)
  // The customer's number is not a CI360 identity: it is kept out of the identity cache.
  const { phone } = message.value
  return {
    provider,
    message: { ...message.value, phone: undefined, ...(phone ? { address: phone } : {}) },
    correlation,
    generatedTimestamp,
    segments: segmentsOfInput({ body: send.text, media: send.mediaUrls }),
  }
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

/**
 * What one Genesys message came to, a value its route switches on: a reply body (sent, queued,
 * duplicate, ignored), or a refusal — the provider rejected it (a `Failed` receipt went to Genesys), or
 * the same message is being sent right now.
 */
export type GenesysOutcome =
  | { status: 'ANSWERED'; body: GenesysBody }
  | { status: 'PROVIDER_REJECTED'; id: string; guid: string; provider: ProviderId; error: UpstreamError }
  | { status: 'IN_PROGRESS'; id: string }

/** One verified Genesys message, from either route: sent once, or recorded as ignored. */
export async function sendGenesysMessage(
  deps: Deps,
  req: Omit<GenesysRequest, 'send'>,
  parsed: ParsedGenesysMessage,
): Promise<GenesysOutcome> {
  if ('send' in parsed) return handleGenesysSend(deps, { ...req, send: parsed.send })
  await recordGenesys(deps, { ...req, send: parsed.ignored }, 'ignored', [])
  return { status: 'ANSWERED', body: parsed.ignored }
}

/** The Open Messaging route's answer: the reply body, or the refusal as a request-level error. */
export async function handleGenesysMessage(
  deps: Deps,
  req: Omit<GenesysRequest, 'send'>,
  parsed: ParsedGenesysMessage,
): Promise<GenesysBody> {
  const outcome = await sendGenesysMessage(deps, req, parsed)
  switch (outcome.status) {
    case 'ANSWERED':
      return outcome.body
    case 'IN_PROGRESS':
      throw new AppError('IN_PROGRESS', 'This message is being sent right now.')
    case 'PROVIDER_REJECTED': {
      const e = providerRejected(outcome.guid, outcome.provider, outcome.error)
      const { guid: _, ...details } = e.details ?? {}
      throw new AppError(e.code, e.message, { cause: e, details: { ...details, id: outcome.id } })
    }
  }
}

/** Send one Genesys message once: claim its id, send through the tenant's provider, store the outcome. */
async function handleGenesysSend(all: Deps, req: GenesysRequest): Promise<GenesysOutcome> {
  const { tenant, send } = req
  const now = all.now()
  const prepared = prepareGenesysSend(all, tenant, send, now, req.origin)
  const { provider, message, correlation } = prepared
  // Every row of this send lives in its guid's shard (docs/scaling.md, "Shards").
  const deps = withShard(all, correlation.guid)
  const log = deps.log.child({ tenant: tenant.id, genesys_id: send.id, provider: provider.id })
  const recipientKey = message.phone
    ? await recipientKeyOf(deps.config.secrets.tokenSigningKey, tenant.id, message.phone)
    : null
  // The opt-out check rides in the claim's batch, as on the CI360 routes (docs/compliance.md).
  const claim = await guard(() =>
    deps.stores.deliveries.claim<SuppressionRow>(
      {
        tenantId: tenant.id,
        guid: correlation.guid,
        provider: provider.id,
        identityId: send.id,
        externalCode: 'genesys',
        recipientMasked: maskPhone(message.to) ?? null,
        recipientKey,
        generatedTimestamp: now,
        state: 'sending',
        now,
        eventBody: req.rawBody,
        genesys: { id: send.id, to: send.to, channel: req.channel },
      },
      claimLeaseMs(tenant),
      suppressionCheck(deps, tenant.id, message),
    ),
  )
  if (!claim.claimed) {
    const { state, provider_message_id: id } = claim.existing
    if (state === 'sending') return { status: 'IN_PROGRESS', id: send.id }
    await recordGenesys(deps, req, 'duplicate', [])
    return {
      status: 'ANSWERED',
      body: { status: 'DUPLICATE', id: send.id, state, ...(id ? { message_id: id } : {}) },
    }
  }

  if (claim.read) return suppressGenesys({ ...deps, log }, req, correlation.guid, claim.read)

  // A claim taken over from a Worker that died mid-send: that send may have gone out, so look first.
  const since = (send.time ?? now) - claimLeaseMs(tenant)
  const sendNow = claim.takeover
    ? async () => (await lookThenSend(provider, message, since)).result
    : () => provider.send(message)
  const { rawBody: bodyText, origin } = req
  const outcome = await sendFirstAttempt(
    { ...deps, log },
    { tenant, prepared, send: sendNow, bodyText, origin },
  )
  switch (outcome.status) {
    case 'SENT': {
      const messageId = outcome.value.messageId
      await recordGenesys(deps, req, 'injected', [outcome.attempt], messageId)
      return {
        status: 'ANSWERED',
        body: { status: 'OK', provider: provider.id, message_id: messageId, id: send.id },
      }
    }
    case 'QUEUED':
      await recordGenesys(deps, req, 'queued', [outcome.attempt])
      // Genesys must not resend what we stored: QUEUED is a 200 (we own the retry).
      return {
        status: 'ANSWERED',
        body: { status: 'QUEUED', retry_at: new Date(outcome.retryAt).toISOString(), id: send.id },
      }
    case 'REJECTED': {
      const row = {
        genesys_message_id: send.id,
        genesys_recipient: send.to,
        genesys_channel: req.channel ?? null,
      }
      const refused = providerRejected(correlation.guid, provider.id, outcome.error).message
      const optedOut = isOptOutCode(provider.id, outcome.error.providerCode)
      const why = optedOut ? `${OPTED_OUT}: ${refused}` : refused
      const receipt = await sendFailedReceipt(deps, tenant, row, why)
      await recordGenesys(deps, req, 'dead', receipt ? [outcome.attempt, receipt] : [outcome.attempt])
      return {
        status: 'PROVIDER_REJECTED',
        id: send.id,
        guid: correlation.guid,
        provider: provider.id,
        error: outcome.error,
      }
    }
  }
}

/**
 * A Genesys message to a number on the opt-out list: no provider call; the delivery is `suppressed` and
 * Genesys gets a `Failed` receipt whose reason code is `OPTED_OUT` (docs/compliance.md).
 */
async function suppressGenesys(
  deps: Deps,
  req: GenesysRequest,
  guid: string,
  blocked: SuppressionRow,
): Promise<GenesysOutcome> {
  const { tenant, send } = req
  await recordSuppressed(deps, tenant.id, guid, blocked)
  deps.log.info('genesys send suppressed', { source: blocked.source })
  const row = {
    genesys_message_id: send.id,
    genesys_recipient: send.to,
    genesys_channel: req.channel ?? null,
  }
  const receipt = await sendFailedReceipt(deps, tenant, row, suppressedDetail(blocked))
  await recordGenesys(deps, req, 'dead', receipt ? [receipt] : [])
  return { status: 'ANSWERED', body: { status: 'SUPPRESSED', id: send.id, reason: OPTED_OUT } }
}

/** A stored Genesys message as the retry sends it; undefined when it is not an outbound text. */
export function storedGenesysSend(
  deps: Pick<Deps, 'provider'>,
  tenant: TenantConfig,
  body: unknown,
  generatedTimestamp: number,
  origin: string | undefined,
): PreparedOutbound | undefined {
  const parsed = parseGenesysMessage(body)
  return 'send' in parsed
    ? prepareGenesysSend(deps, tenant, parsed.send, generatedTimestamp, origin)
    : undefined
}
