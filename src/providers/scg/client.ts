import { requireSecrets, type TenantConfig } from '../../config/tenant'
import { safeJsonParse } from '../../lib/http'
import type { SentMessage } from '../../lib/redact'
import { redactProviderText } from '../../lib/redact'
import { err, ok, type Result } from '../../lib/result'
import { callUpstream, type ErrorReading, postInit } from '../../upstream/call'
import { isRetryableStatus, type UpstreamError } from '../../upstream/error'
import { normalizePhone } from '../phone'
import type {
  Correlation,
  MessageProvider,
  OutboundInput,
  OutboundMessage,
  ProviderContext,
  SendReceipt,
} from '../types'
import { findScgMessageRequest } from './lookup'
import { ScgErrorBodySchema, type ScgMessageRequest, ScgSendResponseSchema } from './schemas'

const RCS_RAW_CONTENT_TYPE = 'application/vnd.scg.grcs.raw-message'

/** SCG marks 5001 as "non-retriable" even though it arrives as a 500 (docs/protocols.md, "Syniverse SCG"). */
const NON_RETRYABLE_CODES = new Set(['5001'])

export interface ScgConfig {
  apiUrl: string
  accessToken: string
  timeoutMs: number
  defaultSender: string | undefined
  demoSenders: Record<string, string>
  channelPrefixes: Record<string, string>
}

/** Read the SCG settings of a tenant, naming the missing key when it cannot send through SCG. */
export function scgConfigOf(tenant: TenantConfig): ScgConfig {
  const { settings } = tenant
  const secrets = requireSecrets(tenant, 'SCG', ['scg_api_url', 'scg_access_token'])
  return {
    apiUrl: secrets.scg_api_url,
    accessToken: secrets.scg_access_token,
    timeoutMs: settings.provider_timeout_ms,
    defaultSender: settings.scg_default_sender,
    demoSenders: settings.scg_demo_senders,
    channelPrefixes: settings.scg_channel_prefixes,
  }
}

/**
 * Sender choice: FROM, else the `scg_demo_senders` entry whose country code is the
 * longest prefix of the recipient, else `scg_default_sender`.
 */
export function chooseSender(config: ScgConfig, from: string | undefined, phone: string | undefined) {
  if (from) return from
  if (phone) {
    let best: { code: string; sender: string } | undefined
    for (const [rawCode, sender] of Object.entries(config.demoSenders)) {
      const code = rawCode.replace(/\D/g, '')
      if (code !== '' && phone.slice(1).startsWith(code) && (!best || code.length > best.code.length)) {
        best = { code, sender }
      }
    }
    if (best) return best.sender
  }
  return config.defaultSender
}

/**
 * `identity|externalCode|tenant|guid`: SCG echoes it as `external_message_request_id` on status events
 * (the first three parts name the identity and tenant) and it is what we ask SCG for after a send whose
 * outcome we could not see (the guid makes it unique per message; docs/guarantees.md).
 */
export const externalIdOf = (c: Correlation): string =>
  `${c.identity}|${c.externalCode}|${c.tenant}|${c.guid}`

export function createScgProvider(
  config: ScgConfig,
  ctx: Pick<ProviderContext, 'fetch' | 'now' | 'probe'>,
): MessageProvider {
  return {
    id: 'scg',
    prepare(input: OutboundInput) {
      const phone = normalizePhone(input.to)
      const from = chooseSender(config, input.from, phone)
      if (!from) {
        return err({
          field: 'FROM' as const,
          message:
            'The creative has no FROM and neither scg_demo_senders nor scg_default_sender gives a sender.',
        })
      }
      const prefix = input.channel ? (config.channelPrefixes[input.channel] ?? '') : ''
      const to = prefix && !input.to.startsWith(prefix) ? `${prefix}${input.to}` : input.to
      const payload: ScgMessageRequest = {
        from,
        to: [to],
        body: input.body,
        external_id: externalIdOf(input.correlation),
      }
      if (input.media.length > 0) payload.media_urls = input.media
      const body = input.body.trim()
      if (input.channel === 'RCS' && body.startsWith('{') && body.endsWith('}')) {
        payload.content_type = RCS_RAW_CONTENT_TYPE
      }
      return ok({
        to,
        phone,
        payload,
        sender: from,
        ...(input.channel ? { channel: input.channel } : {}),
      })
    },

    async send(message: OutboundMessage): Promise<Result<SendReceipt, UpstreamError>> {
      const reply = await callUpstream(ctx, {
        upstream: 'scg',
        url: config.apiUrl,
        init: postInit(`Bearer ${config.accessToken}`, 'application/json', JSON.stringify(message.payload)),
        timeoutMs: config.timeoutMs,
        readError: (r) => readScgError(r, sentOf(message)),
      })
      if (!reply.ok) return reply
      const parsed = ScgSendResponseSchema.safeParse(safeJsonParse(reply.value.text))
      return ok({ messageId: parsed.success ? parsed.data.id : null })
    },

    find: (message: OutboundMessage) =>
      findScgMessageRequest(ctx, config, (message.payload as ScgMessageRequest).external_id, (r) =>
        readScgError(r, sentOf(message)),
      ),
  }
}

/** What SCG was sent, for redacting its error text. */
const sentOf = (message: OutboundMessage): SentMessage => {
  const payload = message.payload as ScgMessageRequest
  return { body: payload.body, to: [message.to, message.phone, ...payload.to] }
}

/**
 * SCG's error body: its code (4046 means our token was refused) and description, which may quote or
 * echo the recipient and the text: it is redacted against what was sent before it reaches a log, D1 or
 * a reply (docs/storage.md, "Provider error text").
 */
function readScgError({ status, text }: { status: number; text: string }, sent: SentMessage): ErrorReading {
  const body = ScgErrorBodySchema.safeParse(safeJsonParse(text))
  const code = body.success ? body.data.error_code : undefined
  const bareCode = code?.replace(/^SCG_ERROR_/, '')
  return {
    ...(code ? { code } : {}),
    ...(body.success && body.data.error_description
      ? { description: redactProviderText(body.data.error_description, sent) }
      : {}),
    retryable: isRetryableStatus(status) && !(bareCode && NON_RETRYABLE_CODES.has(bareCode)),
    auth: bareCode === '4046',
  }
}
