import { type Creative, parseCreative } from '../ci360/creative'
import { type OutboundEvent, OutboundEventSchema, trackingCodeOf } from '../ci360/event'
import type { TenantConfig } from '../config/tenant'
import { type Deps, withShard } from '../deps'
import { routedProvider } from '../failover/routed'
import { AppError, guard } from '../lib/app-error'
import { maskPhone } from '../lib/log'
import { segmentsOf } from '../lib/segments'
import { validationError } from '../lib/validation'
import { OPTED_OUT } from '../providers/opt-out'
import type { OutboundInput, ProviderId } from '../providers/types'
import type { DeliveryRow } from '../storage/deliveries'
import { recipientKeyOf } from '../storage/recipient-key'
import type { SuppressionRow } from '../storage/suppressions'
import { acceptQueued, QUEUE_LOST_MS } from './accept'
import { deferSend, quietHoldOf } from './defer'
import { lookThenSend } from './lookup'
import { providerRejected, sendFirstAttempt } from './outcome'
import { routeEffect } from './route-effect'
import { notifySuppressed, recordSuppressed, suppressionCheck } from './suppression'
import type { OutboundRequest, PreparedOutbound, Reply } from './types'

export type { OutboundRequest, PreparedOutbound, Reply }

/**
 * Tenant match, event type, field validation. Returns the event, or a reply for
 * events that are not acted on (`IGNORED`); throws `AppError` for bad input.
 */
export function validateOutbound(
  body: unknown,
  tenant: TenantConfig,
): { event: OutboundEvent } | { reply: Reply } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new AppError('VALIDATION_FAILED', 'Request body must be a JSON object (a CI360 event).', {
      details: { fields: ['(body)'] },
    })
  }
  const raw = body as Record<string, unknown>
  if (typeof raw.externalTenantId === 'string' && raw.externalTenantId !== tenant.id) {
    throw new AppError('FORBIDDEN', 'externalTenantId does not match the tenant in the URL.')
  }
  if (raw.eventType !== 'outboundSystem') {
    return {
      reply: {
        status: 200,
        body: {
          status: 'IGNORED',
          guid: typeof raw.guid === 'string' ? raw.guid : null,
          reason: 'eventType is not outboundSystem',
        },
      },
    }
  }
  const parsed = OutboundEventSchema.safeParse(raw)
  if (!parsed.success) throw validationError(parsed.error)
  return { event: parsed.data }
}

/** A CI360 event and its creative as the provider-neutral message a provider prepares. */
export const inputOf = (event: OutboundEvent, creative: Creative): OutboundInput => ({
  to: creative.to,
  ...(creative.from !== undefined ? { from: creative.from } : {}),
  body: creative.body,
  media: creative.mediaUrls,
  ...(creative.channel !== undefined ? { channel: creative.channel } : {}),
  correlation: {
    identity: event.identityId,
    externalCode: event.properties?.externalCode ?? '',
    tenant: event.externalTenantId,
    guid: event.guid,
  },
})

/**
 * The creative and the provider request: parse the creative and let the provider build its
 * message. Used by the first attempt and by every retry, so both take the same path.
 */
export function buildOutbound(
  deps: Pick<Deps, 'provider' | 'log' | 'breakers' | 'now'>,
  providerId: ProviderId,
  tenant: TenantConfig,
  event: OutboundEvent,
  origin: string | undefined,
  validitySeconds?: number,
): PreparedOutbound {
  const creative = parseCreative(event.impression.creativeContent)
  if (!creative.ok) {
    throw new AppError('INVALID_CREATIVE', creative.error.message, {
      details: { field: creative.error.field },
    })
  }
  // A tenant with `routes` sends every CI360 event along them (docs/guarantees.md, "Failover").
  const routes = tenant.settings.routes
  const provider = routes
    ? routedProvider(deps, providerId, tenant, routes, origin)
    : deps.provider(providerId, tenant, origin)
  const input = {
    ...inputOf(event, creative.value),
    ...(validitySeconds !== undefined ? { validitySeconds } : {}),
  }
  const message = provider.prepare(input)
  if (!message.ok) {
    throw new AppError('INVALID_CREATIVE', message.error.message, {
      details: { field: message.error.field },
    })
  }
  for (const w of creative.value.warnings) deps.log.warn('creative warning', { guid: event.guid, warning: w })
  return {
    provider,
    message: message.value,
    correlation: input.correlation,
    generatedTimestamp: event.date.generatedTimestamp,
    segments: segmentsOfInput(input),
  }
}

/**
 * The segments the networks count for a message (docs/pacing.md, "Segments"): an SMS body in GSM-7 or
 * UCS-2 parts; a message with media or on a chat channel is one.
 */
export function segmentsOfInput(input: Pick<OutboundInput, 'body' | 'media' | 'channel'>): number {
  if (input.media.length > 0) return 1
  if (input.channel && input.channel !== 'SMS') return 1
  return segmentsOf(input.body).segments
}

/** Staleness: strictly older than `event_ttl` (docs/protocols.md, "CI360"). */
export const isStale = (generatedTimestamp: number, tenant: TenantConfig, now: number) =>
  now - generatedTimestamp > tenant.settings.event_ttl * 1000

/** How long a `sending` claim is honoured before a redelivery may take it over (Worker died mid-send). */
export const claimLeaseMs = (tenant: TenantConfig) => tenant.settings.provider_timeout_ms * 2 + 30_000

/** The outbound routes: everything after authentication. */
export async function handleOutbound(all: Deps, req: OutboundRequest): Promise<Reply> {
  const { tenant } = req
  const validated = validateOutbound(req.body, tenant)
  if ('reply' in validated) return validated.reply
  const { event } = validated
  // Every row of this send lives in its guid's shard (docs/scaling.md, "Shards").
  const deps = withShard(all, event.guid)
  const now = deps.now()
  const deliveries = deps.stores.deliveries
  const log = deps.log.child({ tenant: tenant.id, guid: event.guid, provider: req.providerId })
  const base = {
    tenantId: tenant.id,
    guid: event.guid,
    provider: req.providerId,
    identityId: event.identityId,
    externalCode: event.properties?.externalCode ?? null,
    generatedTimestamp: event.date.generatedTimestamp,
    responseTrackingCode: trackingCodeOf(event),
    now,
  }

  if (isStale(event.date.generatedTimestamp, tenant, now)) {
    const ageS = Math.round((now - event.date.generatedTimestamp) / 1000)
    await guard(() =>
      deliveries.claim(
        {
          ...base,
          recipientMasked: null,
          state: 'stale',
          detail: `age ${ageS} s > event_ttl ${tenant.settings.event_ttl} s`,
        },
        claimLeaseMs(tenant),
      ),
    )
    log.info('outbound stale', { age_s: ageS })
    return {
      status: 200,
      body: { status: 'STALE', guid: event.guid, reason: 'older than event_ttl; not sent' },
    }
  }

  const prepared = buildOutbound(deps, req.providerId, tenant, event, req.origin)
  const { provider, message } = prepared
  // Pure (no I/O): a tenant without quiet hours pays nothing here (docs/compliance.md).
  const hold = quietHoldOf(tenant, event, prepared, now, log)
  const recipientKey = message.phone
    ? await recipientKeyOf(deps.config.secrets.tokenSigningKey, tenant.id, message.phone)
    : null
  // The opt-out check rides in the claim's batch: no round trip of its own (docs/compliance.md).
  // Queued (docs/pacing.md): the claim is `accepted` and the consumer sends at the sender's pace.
  const queued = tenant.settings.send_mode === 'queued'
  const claim = await guard(() =>
    deliveries.claim<SuppressionRow>(
      {
        ...base,
        recipientMasked: maskPhone(message.to) ?? null,
        recipientKey,
        state: queued ? 'accepted' : 'sending',
        eventBody: req.bodyText,
        ...(queued
          ? {
              paced: {
                sender: message.sender ?? null,
                segments: prepared.segments,
                queuedUntil: now + QUEUE_LOST_MS,
              },
            }
          : {}),
      },
      claimLeaseMs(tenant),
      suppressionCheck(deps, tenant.id, message),
    ),
  )
  if (!claim.claimed) return duplicateReply(claim.existing)
  const blocked = claim.read
  if (blocked) {
    await recordSuppressed({ ...deps, log }, tenant.id, event.guid, blocked)
    log.info('outbound suppressed', { to: maskPhone(message.to), source: blocked.source })
    await notifySuppressed({ ...deps, log }, tenant, {
      guid: event.guid,
      provider: provider.id,
      identity: event.identityId,
      responseTrackingCode: base.responseTrackingCode,
      message,
    })
    return { status: 200, body: { status: 'SUPPRESSED', guid: event.guid, reason: OPTED_OUT } }
  }
  if (hold) {
    const { bodyText, origin } = req
    return deferSend(
      { ...deps, log },
      {
        tenant,
        prepared,
        hold,
        bodyText,
        origin,
        takeover: claim.takeover === true,
      },
    )
  }

  if (queued) {
    const { bodyText, origin } = req
    return acceptQueued({ ...deps, log }, { tenant, prepared, bodyText, origin })
  }

  // A claim taken over from a Worker that died mid-send: that send may have gone out, so look first.
  const since = Math.min(event.date.generatedTimestamp, now)
  const send = claim.takeover
    ? async () => (await lookThenSend(provider, message, since)).result
    : () => provider.send(message)
  const { bodyText, origin } = req
  const outcome = await sendFirstAttempt({ ...deps, log }, { tenant, prepared, send, bodyText, origin })
  switch (outcome.status) {
    case 'SENT':
      return {
        status: 200,
        body: {
          status: 'OK',
          // The provider that sent it: a routed send may have failed over (docs/guarantees.md).
          provider: routeEffect(outcome.value, undefined).route?.provider ?? provider.id,
          message_id: outcome.value.messageId,
          guid: event.guid,
        },
      }
    case 'QUEUED':
      return {
        status: 202,
        body: { status: 'QUEUED', guid: event.guid, retry_at: new Date(outcome.retryAt).toISOString() },
      }
    case 'REJECTED':
      throw providerRejected(event.guid, provider.id, outcome.error)
  }
}

function duplicateReply(existing: DeliveryRow): Reply {
  if (existing.state === 'sending') {
    throw new AppError('IN_PROGRESS', 'This event is being sent right now; do not redeliver it.', {
      details: { guid: existing.guid },
    })
  }
  return {
    status: 200,
    body: {
      status: 'DUPLICATE',
      guid: existing.guid,
      state: existing.state,
      ...(existing.provider_message_id ? { message_id: existing.provider_message_id } : {}),
    },
  }
}
