import { type Ci360Event, ci360ConfigOf } from '../../ci360/client'
import { injectOrQueue } from '../../ci360/inject'
import type { TenantConfig } from '../../config/tenant'
import type { Deps } from '../../deps'
import { guard } from '../../lib/app-error'
import type { Logger } from '../../lib/log'
import { validationError } from '../../outbound/validate'
import { createDeliveryStore } from '../../storage/deliveries'
import { handleOnce } from '../../webhooks/once'
import { TwilioStatusCallbackSchema } from './schemas'
import type { TwilioParams } from './signature'

/** A JSON reply of the Twilio webhook routes (always 200: Twilio only looks at 2xx). */
export interface WebhookReply {
  status: 'OK' | 'QUEUED' | 'DUPLICATE' | 'IGNORED'
  body: Record<string, unknown>
}

/** `twilio_response_event_<status>`; a mapping written in another case (`…_DELIVERED`) also counts. */
export function responseEventName(events: Record<string, string>, status: string): string | undefined {
  const key = Object.hasOwn(events, status)
    ? status
    : Object.keys(events).find((k) => k.toLowerCase() === status)
  return key === undefined ? undefined : events[key]
}

/**
 * A status callback (DESIGN §2.4): find the delivery of the MessageSid (it must be this tenant's), add the
 * status to its history once per (MessageSid, MessageStatus), and send `twilio_response_event_<status>`
 * to CI360 when one is mapped. A storage failure releases the dedupe key, so Twilio's retry is handled.
 */
export async function handleTwilioStatus(
  deps: Deps,
  log: Logger,
  tenant: TenantConfig,
  params: TwilioParams,
): Promise<WebhookReply> {
  const parsed = TwilioStatusCallbackSchema.safeParse(params)
  if (!parsed.success) throw validationError(parsed.error)
  const sid = parsed.data.MessageSid
  const status = parsed.data.MessageStatus.toLowerCase()
  const errorCode = parsed.data.ErrorCode?.trim() || undefined
  const reply = (s: WebhookReply['status'], extra: Record<string, unknown> = {}): WebhookReply => ({
    status: s,
    body: { status: s, message_sid: sid, message_status: status, ...extra },
  })

  const deliveries = createDeliveryStore(deps.db)
  const row = await guard(() => deliveries.findByProviderMessageId('twilio', sid))
  if (!row || row.tenant_id !== tenant.id) {
    log.warn('twilio status for an unknown message', { message_sid: sid, message_status: status })
    return reply('IGNORED', { reason: 'no delivery record for this MessageSid' })
  }
  const eventName = responseEventName(tenant.settings.twilio_response_events, status)
  // Fail on a missing CI360 configuration before anything is recorded, so a fixed config can be retried.
  if (eventName) ci360ConfigOf(tenant)

  const now = deps.now()
  const key = `${sid}:${status}`
  const once = await handleOnce(
    deps.db,
    log,
    { source: 'twilio', key, tenantId: tenant.id, now, recording: deps.inbound },
    async () => {
      await deliveries.exec('deliveries.providerStatus', [
        deliveries.providerStatus(
          tenant.id,
          row.guid,
          status,
          now,
          errorCode ? `error_code ${errorCode}` : undefined,
        ),
      ])
      if (!eventName)
        return reply('IGNORED', { reason: `no twilio_response_event_${status} mapping`, guid: row.guid })
      const event: Ci360Event = {
        eventName,
        datahub_id: row.identity_id,
        externalCode: row.external_code ?? '',
      }
      if (tenant.settings.ci360_include_status_details) {
        event.message_id = sid
        event.status = status
        if (errorCode) event.error_code = errorCode
      }
      const injected = await injectOrQueue(deps, log, tenant, `twilio:${key}`, event)
      return reply(injected.status, {
        guid: row.guid,
        event_name: eventName,
        ...(injected.retryAt ? { retry_at: new Date(injected.retryAt).toISOString() } : {}),
      })
    },
  )
  if (once.duplicate) {
    log.info('twilio status duplicate', { message_sid: sid, message_status: status })
    return reply('DUPLICATE')
  }
  log.info('twilio status handled', { message_sid: sid, message_status: status, outcome: once.result.status })
  return once.result
}
