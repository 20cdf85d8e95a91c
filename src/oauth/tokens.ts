import { sign, verify } from 'hono/utils/jwt/jwt'
import * as z from 'zod/mini'

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
  const token = await sign({ ...claims, iat, exp: iat + expiresIn }, signingKey, 'HS256')
  return { token, expiresIn }
}

/**
 * Check a token statelessly: HS256 signature with our key, the claim shape, and expiry against the
 * injected clock (hono's own time checks use the wall clock, so they are off here). Undefined for any
 * token that is not ours, is malformed, or has expired.
 */
export async function verifyToken(
  signingKey: string,
  token: string,
  nowMs: number,
): Promise<TokenClaims | undefined> {
  let payload: unknown
  try {
    payload = await verify(token, signingKey, { alg: 'HS256', exp: false, nbf: false, iat: false })
  } catch {
    return undefined
  }
  const claims = ClaimsSchema.safeParse(payload)
  if (!claims.success) return undefined
  return claims.data.exp > Math.floor(nowMs / 1000) ? claims.data : undefined
}
