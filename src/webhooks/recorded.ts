import type { TenantConfig } from '../config/tenant'
import type { Deps } from '../deps'
import { AppError } from '../lib/app-error'
import type { Logger } from '../lib/log'
import { parseScgDelivery, type ScgDelivery } from '../providers/scg/webhook'
import { handleTwilioInbound } from '../providers/twilio/inbound'
import type { TwilioParams } from '../providers/twilio/signature'
import { handleTwilioStatus, type WebhookReply } from '../providers/twilio/status-callback'
import { parseFormBody, parseJsonParams } from '../providers/twilio/webhook'
import type { InboundEventRow } from '../storage/inbound-events'
import { createInboundRecording, type InboundRecording, type RecordingInit } from './recording'
import { handleScgDelivery, type ScgWebhookReply } from './scg/handle'

/**
 * The webhook pipelines with their recording in `inbound_events`: the routes call these with a
 * delivery just authenticated, the operator's replay with a stored row (`replayOf`), so a replay runs
 * exactly what a delivery runs, minus the dedupe claim.
 */

interface Raw {
  body: string
  contentType: string | null
  replayOf?: string
}

async function recorded<R extends { status: string }>(
  deps: Deps,
  init: RecordingInit,
  run: (deps: Deps) => Promise<R>,
): Promise<R> {
  const recording: InboundRecording = createInboundRecording(deps, init)
  let reply: R
  try {
    reply = await run({ ...deps, inbound: recording })
  } catch (e) {
    // A delivery that failed before its claim is not stored (the provider redelivers it); a replay is.
    if (recording.replay) await recording.finish('ERROR')
    throw e
  }
  await recording.finish(reply.status)
  return reply
}

const scgType = (d: ScgDelivery) =>
  d.kind === 'status'
    ? 'message_state_change'
    : d.kind === 'mo'
      ? 'mo_message_received'
      : d.eventType.slice(0, 60)

export function runScgDelivery(
  deps: Deps,
  log: Logger,
  route: TenantConfig | undefined,
  delivery: ScgDelivery,
  raw: Raw,
): Promise<ScgWebhookReply> {
  const init: RecordingInit = {
    ...raw,
    tenantId: route?.id ?? deps.config.settings.tenant_id,
    source: 'scg',
    routeTenantId: route?.id ?? null,
    eventKey: delivery.eventId,
    type: scgType(delivery),
    messageId: delivery.kind === 'other' ? null : (messageIdOf(delivery) ?? null),
  }
  return recorded(deps, init, (d) => handleScgDelivery(d, log, route, delivery))
}

const messageIdOf = (d: Extract<ScgDelivery, { kind: 'status' | 'mo' }>) =>
  d.kind === 'status' ? d.fields.message_request_id : d.fields.message_id

export type TwilioWebhookKind = 'status' | 'inbound'

export function runTwilioWebhook(
  deps: Deps,
  log: Logger,
  tenant: TenantConfig,
  kind: TwilioWebhookKind,
  params: TwilioParams,
  raw: Raw,
): Promise<WebhookReply> {
  const sid = typeof params.MessageSid === 'string' ? params.MessageSid : ''
  const status = typeof params.MessageStatus === 'string' ? params.MessageStatus.toLowerCase() : ''
  const init: RecordingInit = {
    ...raw,
    tenantId: tenant.id,
    source: 'twilio',
    routeTenantId: tenant.id,
    eventKey: kind === 'status' ? `${sid}:${status}` : `inbound:${sid}`,
    type: kind,
    messageId: sid || null,
  }
  const handler = kind === 'status' ? handleTwilioStatus : handleTwilioInbound
  return recorded(deps, init, (d) => handler(d, log, tenant, params))
}

/** The operator's replay (Event Viewer's Republish): the stored body through its pipeline again. */
export async function replayInboundEvent(
  deps: Deps,
  log: Logger,
  row: InboundEventRow,
): Promise<Record<string, unknown>> {
  const raw: Raw = { body: row.body, contentType: row.content_type, replayOf: row.id }
  const routeTenant = row.route_tenant_id ? deps.config.tenant(row.route_tenant_id) : undefined
  if (row.route_tenant_id && !routeTenant) {
    throw new AppError('CONFIG_INVALID', 500, 'The tenant this event arrived for is no longer configured.')
  }
  if (row.source === 'scg') {
    const delivery = parseScgDelivery(row.body, row.content_type ?? undefined)
    return { ...(await runScgDelivery(deps, log, routeTenant, delivery, raw)) }
  }
  if (row.source === 'twilio' && routeTenant && (row.type === 'status' || row.type === 'inbound')) {
    const params = /json/i.test(row.content_type ?? '') ? parseJsonParams(row.body) : parseFormBody(row.body)
    return (await runTwilioWebhook(deps, log, routeTenant, row.type, params, raw)).body
  }
  throw new AppError('VALIDATION_FAILED', 400, `Events of source ${row.source} cannot be replayed.`, {
    details: { fields: ['source'] },
  })
}
