import type { TenantConfig } from '../../config/tenant'
import { AppError } from '../../lib/app-error'
import { fetchWithTimeout, parseRetryAfter, readTextCapped, safeJsonParse } from '../../lib/http'
import { err, ok, type Result } from '../../lib/result'
import { isRetryableStatus, ProviderError } from '../errors'
import { normalizePhone } from '../phone'
import type { MessageProvider, OutboundInput, OutboundMessage, ProviderContext, SendReceipt } from '../types'
import { ScgErrorBodySchema, type ScgMessageRequest, ScgSendResponseSchema } from './schemas'

const RCS_RAW_CONTENT_TYPE = 'application/vnd.scg.grcs.raw-message'

/** SCG marks 5001 as "non-retriable" even though it arrives as a 500 (reference/providers.md §1.3). */
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
  const { secrets, settings } = tenant
  if (!secrets.scg_api_url || !secrets.scg_access_token) {
    throw new AppError(
      'CONFIG_INVALID',
      500,
      'This tenant is not configured for SCG (scg_api_url and scg_access_token are required).',
    )
  }
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
 * Sender choice (DESIGN §2.1 step 7): FROM, else the `scg_demo_senders` entry whose country code is the
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

export function createScgProvider(
  config: ScgConfig,
  ctx: Pick<ProviderContext, 'fetch' | 'now'>,
): MessageProvider {
  return {
    id: 'scg',
    prepare({ event, creative }: OutboundInput) {
      const phone = normalizePhone(creative.to)
      const from = chooseSender(config, creative.from, phone)
      if (!from) {
        return err({
          field: 'FROM' as const,
          message:
            'The creative has no FROM and neither scg_demo_senders nor scg_default_sender gives a sender.',
        })
      }
      const prefix = creative.channel ? (config.channelPrefixes[creative.channel] ?? '') : ''
      const to = prefix && !creative.to.startsWith(prefix) ? `${prefix}${creative.to}` : creative.to
      const payload: ScgMessageRequest = {
        from,
        to: [to],
        body: creative.body,
        external_id: `${event.identityId}|${event.properties?.externalCode ?? ''}|${event.externalTenantId}`,
      }
      if (creative.mediaUrls.length > 0) payload.media_urls = creative.mediaUrls
      const body = creative.body.trim()
      if (creative.channel === 'RCS' && body.startsWith('{') && body.endsWith('}')) {
        payload.content_type = RCS_RAW_CONTENT_TYPE
      }
      return ok({ to, phone, payload })
    },

    async send(message: OutboundMessage): Promise<Result<SendReceipt, ProviderError>> {
      const started = ctx.now()
      const outcome = await fetchWithTimeout(
        ctx.fetch,
        config.apiUrl,
        {
          method: 'POST',
          headers: {
            authorization: `Bearer ${config.accessToken}`,
            'content-type': 'application/json',
            accept: 'application/json',
          },
          body: JSON.stringify(message.payload),
        },
        config.timeoutMs,
      )
      if (outcome.kind === 'timeout') {
        return err(
          new ProviderError({
            provider: 'scg',
            kind: 'timeout',
            retryable: true,
            message: `no answer within ${config.timeoutMs} ms`,
          }),
        )
      }
      if (outcome.kind === 'network') {
        return err(
          new ProviderError({
            provider: 'scg',
            kind: 'unavailable',
            retryable: true,
            message: 'network error',
            cause: outcome.cause,
          }),
        )
      }
      const res = outcome.response
      const text = await readTextCapped(res)
      if (res.ok) {
        const parsed = ScgSendResponseSchema.safeParse(safeJsonParse(text))
        return ok({ messageId: parsed.success ? parsed.data.id : null })
      }
      return err(scgError(res, text, started))
    },
  }
}

function scgError(res: Response, text: string, now: number): ProviderError {
  const body = ScgErrorBodySchema.safeParse(safeJsonParse(text))
  const providerCode = body.success ? body.data.error_code : undefined
  const bareCode = providerCode?.replace(/^SCG_ERROR_/, '')
  const retryable = isRetryableStatus(res.status) && !(bareCode && NON_RETRYABLE_CODES.has(bareCode))
  const description =
    body.success && body.data.error_description ? body.data.error_description : res.statusText
  return new ProviderError({
    provider: 'scg',
    kind: res.status === 401 || bareCode === '4046' ? 'auth' : retryable ? 'unavailable' : 'rejected',
    status: res.status,
    ...(providerCode ? { providerCode } : {}),
    retryable,
    ...(retryable ? { retryAfterMs: parseRetryAfter(res.headers.get('retry-after'), now) } : {}),
    message: `SCG answered ${res.status}${description ? `: ${description.slice(0, 200)}` : ''}`,
  })
}
