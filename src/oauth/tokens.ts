import * as z from 'zod/mini'
import { base64UrlEncode, base64UrlEncodeText, hmac, safeEqual } from '../lib/crypto'

/** Access tokens live one hour: Event Manager asks for a new one (or refreshes) when it expires. */
export const ACCESS_TOKEN_TTL_S = 3600
/** Refresh tokens live 30 days; each refresh issues a new one. */
export const REFRESH_TOKEN_TTL_S = 30 * 24 * 3600

export type TokenType = 'access' | 'refresh'

/** The claims of every token we issue. Times are seconds since the epoch. */
const ClaimsSchema = z.object({
  sub: z.string().check(z.minLength(1)),
  scope: z.string().check(z.minLength(1)),
  typ: z.enum(['access', 'refresh']),
  iat: z.number(),
  exp: z.number(),
})

export type TokenClaims = z.infer<typeof ClaimsSchema>

export interface IssuedToken {
  token: string
  expiresIn: number
}

/** Sign an HS256 token for `sub` with `scope`; `nowMs` comes from the injected clock. */
export async function issueToken(
  signingKey: string,
  claims: { sub: string; scope: string; typ: TokenType },
  nowMs: number,
): Promise<IssuedToken> {
  const iat = Math.floor(nowMs / 1000)
  const expiresIn = claims.typ === 'access' ? ACCESS_TOKEN_TTL_S : REFRESH_TOKEN_TTL_S
  const signed = `${HEADER}.${base64UrlEncodeText(JSON.stringify({ ...claims, iat, exp: iat + expiresIn }))}`
  return { token: `${signed}.${await signature(signingKey, signed)}`, expiresIn }
}

/**
 * A compact JWS (RFC 7515) with HS256, written on Web Crypto: the two operations we need are a few lines,
 * where a JWT library adds every algorithm and key format to the bundle. The header is fixed, so a
 * token whose header is anything else (alg none, RS256…) is refused before its signature is looked at.
 */
const HEADER = base64UrlEncodeText('{"alg":"HS256","typ":"JWT"}')

const signature = async (key: string, signed: string) => base64UrlEncode(await hmac('SHA-256', key, signed))

/** The JSON of a base64url segment; throws when it is not one. */
const decodeSegment = (segment: string): unknown =>
  JSON.parse(
    new TextDecoder().decode(
      Uint8Array.from(atob(segment.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0)),
    ),
  )

/**
 * Check a token statelessly: our header, the HS256 signature with our key (compared in constant time),
 * the claim shape, and expiry against the injected clock. Undefined for any token that is not ours, is
 * malformed, or has expired.
 */
export async function verifyToken(
  signingKey: string,
  token: string,
  nowMs: number,
): Promise<TokenClaims | undefined> {
  const [header, body, sig, ...rest] = token.split('.')
  if (header !== HEADER || body === undefined || sig === undefined || rest.length > 0) return undefined
  if (!(await safeEqual(sig, await signature(signingKey, `${header}.${body}`)))) return undefined
  let payload: unknown
  try {
    payload = decodeSegment(body)
  } catch {
    return undefined
  }
  const claims = ClaimsSchema.safeParse(payload)
  if (!claims.success) return undefined
  return claims.data.exp > Math.floor(nowMs / 1000) ? claims.data : undefined
}
