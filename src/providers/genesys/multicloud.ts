import * as z from 'zod/mini'
import type { GenesysConfig } from '../../config/genesys'
import { base64Encode, hexEncode, hmac, safeEqual } from '../../lib/crypto'

/**
 * Genesys Multicloud CX Digital Channels, "Async" (third-party messaging) provider: docs/protocols.md,
 * "Genesys Multicloud". Genesys's public pages confirm the webhook (`{"messages":[…]}`, `X-Hub-Signature:
 * sha1=…`, reply `{"messageId"}`) but not the message fields nor the gateway → Genesys message path.
 * Every ASSUMPTION about them lives in this module (listed in the README, "Multicloud assumptions"):
 *
 * A1. A message has the normalized shape of Open Messaging: `id`, `channel.to.id`, `text`,
 *     `content[].attachment.url`; a missing `type` is `Text` and a missing `direction` is `Outbound`.
 * A2. Message ids are unique within a tenant (across channels and Open Messaging): they key idempotency.
 * A3. Receipts and customers' messages are posted as `{"messages":[<normalized message>]}` to
 *     `{nexus_url}{inbound_path}`, by default the path below (`{channelId}` is replaced).
 * A4. The `sha1=` digest is lower-case hex (Facebook's convention the Genesys wording follows); base64 is
 *     accepted on the webhook too, and we sign in hex.
 */
export const DEFAULT_INBOUND_PATH = '/nexus/v3/channels/{channelId}/messages'

type Multicloud = NonNullable<GenesysConfig['multicloud']>
export type MulticloudChannel = Multicloud['channels'][number]

/** The webhook body: a non-empty list of messages, each checked on its own (A1). */
export const MulticloudBodySchema = z.looseObject({
  messages: z.array(z.unknown()).check(z.minLength(1, { error: 'must list at least one message' })),
})

/** A message as the Open Messaging schema reads it (A1): the defaults filled in, all else untouched. */
export const asOpenMessage = (m: unknown): unknown =>
  typeof m === 'object' && m !== null && !Array.isArray(m) ? { type: 'Text', direction: 'Outbound', ...m } : m

/** Where receipts and customers' messages for `channelId` go (A3). */
export const nexusUrlOf = (m: Multicloud, channelId: string) =>
  m.nexus_url.replace(/\/+$/, '') +
  (m.inbound_path ?? DEFAULT_INBOUND_PATH).replaceAll('{channelId}', encodeURIComponent(channelId))

/** Over the body's bytes as received (text is read as its UTF-8 bytes). */
const sha1 = async (secret: string, body: string | Uint8Array) =>
  new Uint8Array(await hmac('SHA-1', secret, body))

/** `sha1=` + hex HMAC-SHA1 of the body (A4). */
export const multicloudSignature = async (secret: string, body: string | Uint8Array) =>
  `sha1=${hexEncode(await sha1(secret, body))}`

/**
 * Constant-time check of `X-Hub-Signature` against the hex and the base64 form of the digest (A4); both
 * comparisons always run, and a missing header is compared too, so timing reveals nothing.
 */
export async function verifyMulticloudSignature(
  secret: string,
  header: string | null,
  rawBody: string | Uint8Array,
): Promise<boolean> {
  const digest = await sha1(secret, rawBody)
  const given =
    header?.replace(/^sha1=([0-9a-fA-F]{40})$/, (_, hex: string) => `sha1=${hex.toLowerCase()}`) ?? ''
  const [hex, b64] = await Promise.all([
    safeEqual(given, `sha1=${hexEncode(digest)}`),
    safeEqual(given, `sha1=${base64Encode(digest)}`),
  ])
  return header !== null && (hex || b64)
}
