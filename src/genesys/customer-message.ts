import type { TenantConfig } from '../config/tenant'
import type { Deps } from '../deps'
import { type GenesysCall, transportOf } from '../providers/genesys/client'
import { normalizePhone } from '../providers/phone'
import type { MoEvent } from '../providers/types'

/** What finding the reply channel needs: the deliveries (the customer's last Genesys message) and the clock. */
type ReplyContext = Pick<Deps, 'stores' | 'now'>

/**
 * The channel a customer's reply goes to (docs/protocols.md, "Genesys Multicloud"): the one of the
 * newest Genesys message sent to that customer, else Open Messaging, else the first Multicloud channel;
 * undefined when none is configured. `null` is Open Messaging.
 */
async function replyChannelOf(
  ctx: ReplyContext,
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
  ctx: ReplyContext,
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
