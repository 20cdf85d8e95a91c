import type { TenantConfig } from '../config/tenant'
import { type GenesysCall, transportOf } from '../providers/genesys/client'
import { normalizePhone } from '../providers/phone'
import type { MoEvent } from '../providers/types'
import type { DeliveryRow } from '../storage/deliveries'

/** The receipt-relevant columns of a Genesys delivery. */
export type GenesysDelivery = Pick<
  DeliveryRow,
  'genesys_message_id' | 'genesys_recipient' | 'genesys_channel'
>

const DELIVERED = new Set(['delivered'])
const FAILED = new Set(['failed', 'undelivered', 'rejected', 'expired', 'deleted', 'dead'])

/** Genesys's receipt status for a provider's final status (SCG or Twilio spelling); undefined if not final. */
export function receiptStatusOf(status: string): 'Delivered' | 'Failed' | undefined {
  const s = status.toLowerCase()
  return DELIVERED.has(s) ? 'Delivered' : FAILED.has(s) ? 'Failed' : undefined
}

/**
 * The final receipt of a Genesys message we sent (docs/protocols.md, "Genesys"), over the transport
 * the message came in on; undefined when there is none to send it over.
 */
export function receiptOf(
  tenant: TenantConfig,
  row: GenesysDelivery,
  status: 'Delivered' | 'Failed',
  now: number,
  why?: string,
): GenesysCall | undefined {
  if (!row.genesys_message_id || !transportOf(tenant, row.genesys_channel)) return undefined
  return {
    kind: 'receipt',
    ...(row.genesys_channel ? { channel: row.genesys_channel } : {}),
    body: {
      id: row.genesys_message_id,
      channel: { to: { id: row.genesys_recipient ?? '' }, time: new Date(now).toISOString() },
      status,
      direction: 'Outbound',
      isFinalReceipt: true,
      ...(why ? { reasons: [{ code: 'GeneralError', message: why.slice(0, 200) }] } : {}),
    },
  }
}

/** A customer's reply to one of the tenant's Genesys numbers, as an inbound Open message; else undefined. */
export function genesysMessageOf(tenant: TenantConfig, e: MoEvent, now: number): GenesysCall | undefined {
  const to = e.to && normalizePhone(e.to)
  if (!to || !tenant.secrets.genesys?.numbers.includes(to) || !transportOf(tenant)) return undefined
  const media = e.attributes.media_urls?.split(',') ?? []
  return {
    kind: 'message',
    body: {
      channel: {
        platform: 'Open',
        type: 'Private',
        messageId: e.messageId ?? e.key,
        to: { id: to },
        from: { id: normalizePhone(e.from) ?? e.address, idType: 'Phone' },
        time: new Date(now).toISOString(),
      },
      type: 'Text',
      text: e.body,
      ...(media.length
        ? {
            content: media.map((url) => ({
              contentType: 'Attachment',
              attachment: { mediaType: 'Image', url },
            })),
          }
        : {}),
    },
  }
}
