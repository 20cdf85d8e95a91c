import { hexEncode, hmac } from '../lib/crypto'

/**
 * The key `deliveries.recipient_key` stores for a recipient (docs/storage.md, "Recipient key"): an
 * HMAC-SHA-256 of the tenant and the E.164 number, keyed with `TOKEN_SIGNING_KEY` when it is set (else
 * with a fixed key, so the tenant salts a plain SHA-256). The same inputs give the same key on the send
 * path and on an inbound message; the number cannot be read back from it.
 */
export async function recipientKeyOf(
  secret: string | undefined,
  tenantId: string,
  phone: string,
): Promise<string> {
  return hexEncode(await hmac('SHA-256', secret || 'recipient-key', `${tenantId}\n${phone}`))
}
