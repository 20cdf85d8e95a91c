import * as z from 'zod/mini'
import { base64Encode, hmac, safeEqual } from '../../lib/crypto'

/** Deliveries of Genesys messages are keyed apart from CI360 guids; Multicloud also replies with it. */
export const genesysGuid = (id: string) => `genesys:${id}`
export const isGenesysGuid = (guid: string) => guid.startsWith('genesys:')

/**
 * Genesys Cloud Open Messaging wire format (docs/protocols.md, "Genesys"): the normalized message
 * Genesys posts to the integration's outbound webhook. Unknown fields are tolerated.
 */
const nonEmpty = z.string().check(z.trim(), z.minLength(1), z.maxLength(500))

const AttachmentContentSchema = z.looseObject({
  contentType: z.string(),
  attachment: z.optional(z.looseObject({ url: z.optional(z.string()), mediaType: z.optional(z.string()) })),
})

export const OpenMessageSchema = z.looseObject({
  id: nonEmpty,
  channel: z.looseObject({
    platform: z.optional(z.string()),
    type: z.optional(z.string()),
    to: z.looseObject({ id: nonEmpty }),
    from: z.optional(z.looseObject({ id: z.optional(z.string()) })),
    time: z.optional(z.string()),
    messageId: z.optional(z.string()),
  }),
  type: z.string(),
  text: z.optional(z.string()),
  content: z.optional(z.array(AttachmentContentSchema)),
  direction: z.string(),
})

export type OpenMessage = z.infer<typeof OpenMessageSchema>

/** What we send for one Genesys message, whatever the provider. */
export interface GenesysSend {
  /** Genesys's message id: the idempotency key and the id of its receipts. */
  id: string
  to: string
  text: string
  mediaUrls: string[]
  /** When Genesys says it was sent (ms), if it says. */
  time: number | undefined
}

/** Only outbound text messages are sent (receipts and events posted to this webhook are not). */
export function sendOf(m: OpenMessage): { send: GenesysSend } | { ignored: string } {
  if (m.direction !== 'Outbound') return { ignored: 'direction is not Outbound' }
  if (m.type !== 'Text') return { ignored: 'type is not Text' }
  const mediaUrls = (m.content ?? [])
    .filter((c) => c.contentType === 'Attachment' && c.attachment?.url)
    .map((c) => c.attachment?.url as string)
  const time = Date.parse(m.channel.time ?? '') || undefined
  return { send: { id: m.id, to: m.channel.to.id, text: m.text ?? '', mediaUrls, time } }
}

/**
 * `sha256=` + base64 HMAC-SHA256 of the raw body with the integration's outbound secret. The HMAC is over
 * the body's bytes as received (text is read as its UTF-8 bytes).
 */
export async function openMessagingSignature(secret: string, rawBody: string | Uint8Array): Promise<string> {
  return `sha256=${base64Encode(await hmac('SHA-256', secret, rawBody))}`
}

/** Constant-time check of `X-Hub-Signature-256`; a missing header is compared too (same timing). */
export async function verifyOpenMessagingSignature(
  secret: string,
  header: string | null,
  rawBody: string | Uint8Array,
): Promise<boolean> {
  const expected = await openMessagingSignature(secret, rawBody)
  const equal = await safeEqual(header ?? '', expected)
  return header !== null && equal
}
