import type { TenantConfig } from '../config/tenant'
import { type GenesysCall, transportOf } from '../providers/genesys/client'
import { genesysGuid } from '../providers/genesys/open-messaging'
import { normalizePhone } from '../providers/phone'
import type { MoEvent } from '../providers/types'
import type { DeliveryRow } from '../storage/deliveries'
import type { PlanContext } from './plan'

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
      channel: {
        // Multicloud matches receipts on the `messageId` our webhook reply gave (the delivery's guid).
        ...(row.genesys_channel ? { messageId: genesysGuid(row.genesys_message_id) } : {}),
        to: { id: row.genesys_recipient ?? '' },
        time: new Date(now).toISOString(),
      },
      status,
      direction: 'Outbound',
      isFinalReceipt: true,
      ...(why ? { reasons: [{ code: 'GeneralError', message: why.slice(0, 200) }] } : {}),
    },
  }
}

/**
 * The channel a customer's reply goes to (docs/protocols.md, "Genesys Multicloud"): the one of the
 * newest Genesys message sent to that customer, else Open Messaging, else the first Multicloud channel;
 * undefined when none is configured. `null` is Open Messaging.
 */
async function replyChannelOf(
  ctx: PlanContext,
  tenant: TenantConfig,
  from: string,
): Promise<string | null | undefined> {
  const g = tenant.secrets.genesys
  if (g?.multicloud) {
    // Genesys may name the customer with or without the `+`: look for both spellings.
    const last = await ctx.stores.deliveries.lastGenesysChannel(tenant.id, [from, from.replace(/^\+/, '')])
    if (last && transportOf(tenant, last.genesys_channel)) return last.genesys_channel
  }
  if (transportOf(tenant)) return null
  return g?.multicloud?.channels[0]?.channel_id
}

/** A customer's reply to one of the tenant's Genesys numbers, as an inbound normalized message; else undefined. */
export async function genesysMessageOf(
  ctx: PlanContext,
  tenant: TenantConfig,
  e: MoEvent,
): Promise<GenesysCall | undefined> {
  const to = e.to && normalizePhone(e.to)
  if (!to || !tenant.secrets.genesys?.numbers.includes(to)) return undefined
  const from = normalizePhone(e.from) ?? e.address
  const channel = await replyChannelOf(ctx, tenant, from)
  if (channel === undefined) return undefined
  const now = ctx.now()
  const media = e.attributes.media_urls?.split(',') ?? []
  return {
    kind: 'message',
    ...(channel ? { channel } : {}),
    body: {
      channel: {
        platform: 'Open',
        type: 'Private',
        messageId: e.messageId ?? e.key,
        to: { id: to },
        from: { id: from, idType: 'Phone' },
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
