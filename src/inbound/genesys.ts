import type { TenantConfig } from '../config/tenant'
import type { Deps } from '../deps'
import { StorageError } from '../lib/app-error'
import type { Logger } from '../lib/log'
import { callGenesys, type GenesysCall } from '../providers/genesys/client'
import { normalizePhone } from '../providers/phone'
import type { MoEvent, UpstreamAttempt } from '../providers/types'
import { afterFirstFailure } from '../retry/backoff'
import type { DeliveryRow } from '../storage/deliveries'

const DELIVERED = new Set(['delivered'])
const FAILED = new Set(['failed', 'undelivered', 'rejected', 'expired', 'deleted', 'dead'])

/** Genesys's receipt status for a provider's final status (SCG or Twilio spelling); undefined if not final. */
export function receiptStatusOf(status: string): 'Delivered' | 'Failed' | undefined {
  const s = status.toLowerCase()
  return DELIVERED.has(s) ? 'Delivered' : FAILED.has(s) ? 'Failed' : undefined
}

/** The final receipt of a Genesys message we sent (docs/protocols.md, "Genesys"). */
export function receiptOf(
  row: Pick<DeliveryRow, 'genesys_message_id' | 'genesys_recipient'>,
  status: 'Delivered' | 'Failed',
  now: number,
  reason?: { code: string; message: string },
): GenesysCall | undefined {
  if (!row.genesys_message_id) return undefined
  return {
    kind: 'receipt',
    body: {
      id: row.genesys_message_id,
      channel: { to: { id: row.genesys_recipient ?? '' }, time: new Date(now).toISOString() },
      status,
      direction: 'Outbound',
      isFinalReceipt: true,
      ...(reason ? { reasons: [reason] } : {}),
    },
  }
}

/** A customer's reply to one of the tenant's Genesys numbers, as an inbound Open message; else undefined. */
export function genesysMessageOf(tenant: TenantConfig, e: MoEvent, now: number): GenesysCall | undefined {
  const genesys = tenant.secrets.genesys
  const to = e.to ? normalizePhone(e.to) : undefined
  if (!genesys?.open_messaging || !to || !genesys.numbers.includes(to)) return undefined
  const mediaUrls = e.attributes.media_urls ? e.attributes.media_urls.split(',') : []
  return {
    kind: 'message',
    body: {
      channel: {
        platform: 'Open',
        type: 'Private',
        messageId: e.key,
        to: { id: to },
        from: { id: normalizePhone(e.from) ?? e.address, idType: 'Phone' },
        time: new Date(now).toISOString(),
      },
      type: 'Text',
      text: e.body,
      ...(mediaUrls.length
        ? {
            content: mediaUrls.map((url) => ({
              contentType: 'Attachment',
              attachment: { mediaType: 'Image', url },
            })),
          }
        : {}),
    },
  }
}

/**
 * Post to Genesys; when that fails, store the call as a `genesys_event` failed request for the cron
 * (the same guarantee as a CI360 event). Throws `StorageError` only when it can be neither sent nor stored.
 */
export async function forwardOrQueue(
  deps: Deps,
  log: Logger,
  tenant: TenantConfig,
  key: string,
  call: GenesysCall,
): Promise<{ status: 'OK' | 'QUEUED'; retryAt?: number; attempt: UpstreamAttempt }> {
  const at = deps.now()
  const result = await callGenesys(deps, tenant, call)
  if (result.ok) {
    log.info('genesys call made', { key, kind: call.kind })
    return {
      status: 'OK',
      attempt: { upstream: 'genesys', at, ok: true, http_status: result.value, error: null },
    }
  }
  const error = result.error
  const now = deps.now()
  const failure = afterFirstFailure(error, now, deps.random)
  try {
    await deps.stores.failedRequests
      .insert({
        tenantId: tenant.id,
        kind: 'genesys_event',
        guid: key,
        generatedTimestamp: null,
        eventBody: JSON.stringify(call),
        ...failure,
        now,
      })
      .run()
  } catch (cause) {
    throw new StorageError('failed_requests.insert', cause)
  }
  log.warn('genesys call stored for retry', { key, kind: call.kind, http_status: error.status })
  const attempt: UpstreamAttempt = {
    upstream: 'genesys',
    at,
    ok: false,
    http_status: error.status ?? null,
    error: error.summary(),
  }
  return failure.nextAttemptAt === null
    ? { status: 'QUEUED', attempt }
    : { status: 'QUEUED', retryAt: failure.nextAttemptAt, attempt }
}
