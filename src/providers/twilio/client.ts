import type { CreativeProblem } from '../../ci360/creative'
import { requireSecrets, type TenantConfig } from '../../config/tenant'
import { safeJsonParse } from '../../lib/http'
import type { SentMessage } from '../../lib/redact'
import { redactProviderText } from '../../lib/redact'
import { err, ok, type Result } from '../../lib/result'
import { callUpstream, type ErrorReading, postInit } from '../../upstream/call'
import type { UpstreamError } from '../../upstream/error'
import { normalizePhone } from '../phone'
import type { MessageProvider, OutboundInput, OutboundMessage, ProviderContext, SendReceipt } from '../types'
import { findTwilioMessage } from './lookup'
import { TwilioErrorBodySchema, type TwilioMessageRequest, TwilioMessageSchema, toFormBody } from './schemas'

/** Twilio accepts at most 10 `MediaUrl` per message (docs/protocols.md, "Twilio"). */
export const MAX_MEDIA_URLS = 10

/** A Twilio Messaging Service SID: `MG` and 32 hex digits. */
const MESSAGING_SERVICE_SID = /^MG[0-9a-fA-F]{32}$/

/** CHANNEL values Twilio's Messages API can carry from a CI360 creative. */
const TWILIO_CHANNELS = new Set(['SMS', 'MMS', 'WHATSAPP'])

export interface TwilioConfig {
  apiUrl: string
  accountSid: string
  authToken: string
  timeoutMs: number
  defaultSender: string | undefined
  messagingServiceSid: string | undefined
  /** Our status-callback URL for this tenant; undefined when the public origin is unknown. */
  statusCallback: string | undefined
}

export const defaultTwilioApiUrl = (accountSid: string) =>
  `https://api.twilio.com/2010-04-01/Accounts/${encodeURIComponent(accountSid)}/Messages.json`

/** The status callback's query parameter that carries the send's guid (docs/scaling.md). */
export const STATUS_GUID_PARAM = 'g'

/** Our status-callback route for a tenant. */
export const twilioStatusCallbackUrl = (origin: string, tenantId: string) =>
  `${origin}/v1/webhooks/twilio/${encodeURIComponent(tenantId)}/status`

/** Read the Twilio settings of a tenant; `CONFIG_INVALID` names the missing keys. */
export function twilioConfigOf(tenant: TenantConfig, origin: string | undefined): TwilioConfig {
  const { settings } = tenant
  const secrets = requireSecrets(tenant, 'Twilio', ['twilio_account_sid', 'twilio_auth_token'])
  return {
    apiUrl: secrets.twilio_api_url ?? defaultTwilioApiUrl(secrets.twilio_account_sid),
    accountSid: secrets.twilio_account_sid,
    authToken: secrets.twilio_auth_token,
    timeoutMs: settings.provider_timeout_ms,
    defaultSender: settings.default_sender,
    messagingServiceSid: settings.twilio_messaging_service_sid,
    statusCallback: origin ? twilioStatusCallbackUrl(origin, tenant.id) : undefined,
  }
}

const whatsapp = (address: string) => (/^whatsapp:/i.test(address) ? address : `whatsapp:${address}`)

/**
 * Build the CreateMessage fields. Sender: the creative's FROM; else the Messaging Service (Twilio picks
 * a sender from its pool); else `default_sender`. A FROM sent with a configured Messaging Service is
 * sent alongside it, which Twilio reads as "this sender from the service's pool".
 */
export function buildTwilioRequest(
  config: TwilioConfig,
  input: OutboundInput,
): Result<TwilioMessageRequest, CreativeProblem> {
  if (input.channel && !TWILIO_CHANNELS.has(input.channel)) {
    return err({ field: 'CHANNEL', message: 'CHANNEL must be SMS, MMS or WHATSAPP for Twilio.' })
  }
  if (input.media.length > MAX_MEDIA_URLS) {
    return err({
      field: 'MEDIA_URLS',
      message: `MEDIA_URLS may list at most ${MAX_MEDIA_URLS} URLs for Twilio.`,
    })
  }
  const isWhatsapp = input.channel === 'WHATSAPP'
  // A Messaging Service SID as the sender (a route's sender, docs/guarantees.md): sent as the service.
  const asService = input.from !== undefined && MESSAGING_SERVICE_SID.test(input.from)
  const service = asService ? input.from : config.messagingServiceSid
  const from = asService ? undefined : (input.from ?? (service ? undefined : config.defaultSender))
  if (!from && !service) {
    return err({
      field: 'FROM',
      message:
        'The creative has no FROM and neither twilio_messaging_service_sid nor default_sender is configured.',
    })
  }
  const request: TwilioMessageRequest = {
    To: isWhatsapp ? whatsapp(input.to) : input.to,
    Body: input.body,
    MediaUrl: input.media,
  }
  if (from) request.From = isWhatsapp ? whatsapp(from) : from
  if (service) request.MessagingServiceSid = service
  // The guid rides in the callback's query (`g`), so the status finds its delivery's shard without a
  // search over every database (docs/scaling.md); Twilio signs the URL with its query.
  if (config.statusCallback)
    request.StatusCallback = `${config.statusCallback}?${STATUS_GUID_PARAM}=${encodeURIComponent(input.correlation.guid)}`
  if (input.validitySeconds !== undefined) request.ValidityPeriod = input.validitySeconds
  return ok(request)
}

export function createTwilioProvider(
  config: TwilioConfig,
  ctx: Pick<ProviderContext, 'fetch' | 'now' | 'probe'>,
): MessageProvider {
  const authorization = `Basic ${btoa(`${config.accountSid}:${config.authToken}`)}`
  return {
    id: 'twilio',
    prepare(input: OutboundInput) {
      const built = buildTwilioRequest(config, input)
      if (!built.ok) return built
      const request = built.value
      // A Messaging Service's opt-outs cover its whole pool (docs/compliance.md): it is the sender scope.
      const sender = request.MessagingServiceSid ?? request.From?.replace(/^whatsapp:/i, '')
      return ok({
        to: request.To,
        phone: normalizePhone(input.to),
        payload: request,
        ...(sender ? { sender } : {}),
        ...(input.channel ? { channel: input.channel } : {}),
      })
    },

    async send(message: OutboundMessage): Promise<Result<SendReceipt, UpstreamError>> {
      const reply = await callUpstream(ctx, {
        upstream: 'twilio',
        url: config.apiUrl,
        init: postInit(
          authorization,
          'application/x-www-form-urlencoded',
          toFormBody(message.payload as TwilioMessageRequest),
        ),
        timeoutMs: config.timeoutMs,
        readError: (r) => readTwilioError(r, sentOf(message)),
      })
      if (!reply.ok) return reply
      const parsed = TwilioMessageSchema.safeParse(safeJsonParse(reply.value.text))
      if (!parsed.success) return ok({ messageId: null })
      return ok({
        messageId: parsed.data.sid,
        ...(parsed.data.status ? { providerStatus: parsed.data.status } : {}),
      })
    },

    find: (message: OutboundMessage, since: number) =>
      findTwilioMessage(
        ctx,
        { apiUrl: config.apiUrl, authorization, timeoutMs: config.timeoutMs },
        message.payload as TwilioMessageRequest,
        since,
        (r) => readTwilioError(r, sentOf(message)),
      ),
  }
}

/** What Twilio was sent, for redacting its error text. */
const sentOf = (message: OutboundMessage): SentMessage => {
  const payload = message.payload as TwilioMessageRequest
  return { body: payload.Body, to: [message.to, message.phone, payload.To] }
}

/**
 * Twilio's error body: its numeric code and message, redacted against what was sent (Twilio quotes the
 * recipient: "The 'To' number …"; docs/storage.md, "Provider error text").
 */
function readTwilioError(
  { statusText, text }: { statusText: string; text: string },
  sent: SentMessage,
): ErrorReading {
  const body = TwilioErrorBodySchema.safeParse(safeJsonParse(text))
  const description = body.success && body.data.message ? body.data.message : statusText
  return {
    ...(body.success ? { code: body.data.code } : {}),
    ...(description ? { description: redactProviderText(description, sent) } : {}),
  }
}
