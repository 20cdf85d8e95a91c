import { base64Encode, base64UrlEncode, base64UrlEncodeText, hmac } from '../lib/crypto'

const HEADER = base64UrlEncodeText('{"alg":"HS256","typ":"JWT"}')

/**
 * The static CI360 gateway token (docs/protocols.md, "CI360"): HS256 over `{"clientID":"<tenant>"}` with no
 * expiry, keyed with the ASCII text of the padded base64 of the client secret (not the secret itself).
 */
export async function buildCi360Jwt(tenantId: string, clientSecret: string): Promise<string> {
  const payload = base64UrlEncodeText(JSON.stringify({ clientID: tenantId }))
  const key = base64Encode(new TextEncoder().encode(clientSecret))
  const signature = await hmac('SHA-256', key, `${HEADER}.${payload}`)
  return `${HEADER}.${payload}.${base64UrlEncode(signature)}`
}
