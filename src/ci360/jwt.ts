import { sign } from 'hono/jwt'
import { base64Encode, base64UrlEncodeText } from '../lib/crypto'

/**
 * The static CI360 gateway token (docs/protocols.md, "CI360"): HS256 over `{"clientID":"<tenant>"}` with no
 * expiry, keyed with the ASCII text of the padded base64 of the client secret (not the secret itself).
 * The key goes to `sign` as an `oct` JWK: a plain string key is read as a PEM when it contains
 * "PRIVATE", which a base64 text can.
 */
export async function buildCi360Jwt(tenantId: string, clientSecret: string): Promise<string> {
  const keyText = base64Encode(new TextEncoder().encode(clientSecret))
  return sign({ clientID: tenantId }, { kty: 'oct', k: base64UrlEncodeText(keyText) }, 'HS256')
}
