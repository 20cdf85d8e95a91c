import { type Ci360Event, ci360ConfigOf } from '../../ci360/client'
import { injectOrQueue } from '../../ci360/inject'
import type { TenantConfig } from '../../config/tenant'
import type { Deps } from '../../deps'
import { type Logger, maskPhone } from '../../lib/log'
import { validationError } from '../../outbound/validate'
import { createIdentityCache } from '../../storage/identity-cache'
import { handleOnce } from '../../webhooks/once'
import { normalizePhone } from '../phone'
import { TwilioInboundSchema } from './schemas'
import type { TwilioParams } from './signature'
import type { WebhookReply } from './status-callback'

/** `MediaUrl0..N-1` joined with `,` and no spaces (CI360 attributes are strings). */
export function mediaUrlsOf(params: TwilioParams, numMedia: number): string | undefined {
  const urls: string[] = []
  for (let i = 0; i < numMedia; i++) {
    const url = params[`MediaUrl${i}`]
    if (typeof url === 'string' && url.trim() !== '') urls.push(url.trim())
  }
  return urls.length > 0 ? urls.join(',') : undefined
}

/**
 * An incoming message (DESIGN §2.4): `twilio_mo_event` with the sender's identity (the KV cache entry of
 * the number, which must belong to this tenant, or the number itself in `identity_field`), the body
 * (upper-cased with `twilio_mo_body_uppercase`) and `media_urls`. Deduplicated on MessageSid.
 */
export async function handleTwilioInbound(
  deps: Deps,
  log: Logger,
  tenant: TenantConfig,
  params: TwilioParams,
): Promise<WebhookReply> {
  const parsed = TwilioInboundSchema.safeParse(params)
  if (!parsed.success) throw validationError(parsed.error)
  const sid = parsed.data.MessageSid
  const from = parsed.data.From
  const reply = (s: WebhookReply['status'], extra: Record<string, unknown> = {}): WebhookReply => ({
    status: s,
    body: { status: s, message_sid: sid, ...extra },
  })
  const ignored = (reason: string) => {
    log.info('twilio inbound ignored', { message_sid: sid, from: maskPhone(from), reason })
    return reply('IGNORED', { reason })
  }

  const { settings } = tenant
  const eventName = settings.twilio_mo_event
  if (!eventName) return ignored('twilio_mo_event is not configured')
  ci360ConfigOf(tenant)

  const phone = normalizePhone(from)
  const event: Ci360Event = { eventName }
  if (settings.identity_field !== '') {
    event[settings.identity_field] = phone ?? from.replace(/^whatsapp:/i, '')
  } else {
    const cached = phone
      ? await createIdentityCache(deps.kv, settings.cache_ttl, log).lookup(phone)
      : undefined
    if (!cached) return ignored('no cached identity for the sender')
    if (cached.tenant_id !== tenant.id) return ignored('the sender was last messaged by another tenant')
    event.datahub_id = cached.datahub_id
  }
  event.message_body = settings.twilio_mo_body_uppercase ? parsed.data.Body.toUpperCase() : parsed.data.Body
  const media = mediaUrlsOf(params, Number(parsed.data.NumMedia ?? '0'))
  if (media) event.media_urls = media

  const key = `inbound:${sid}`
  const once = await handleOnce(
    deps.db,
    log,
    { source: 'twilio', key, tenantId: tenant.id, now: deps.now(), recording: deps.inbound },
    async () => {
      const injected = await injectOrQueue(deps, log, tenant, `twilio:${key}`, event)
      return reply(injected.status, { event_name: eventName })
    },
  )
  if (once.duplicate) {
    log.info('twilio inbound duplicate', { message_sid: sid })
    return reply('DUPLICATE')
  }
  log.info('twilio inbound handled', { message_sid: sid, outcome: once.result.status })
  return once.result
}
