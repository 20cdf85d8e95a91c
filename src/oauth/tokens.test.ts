import { sign } from 'hono/jwt'
import { describe, expect, it } from 'vitest'
import { base64UrlEncodeText } from '../lib/crypto'
import { ACCESS_TOKEN_TTL_S, issueToken, REFRESH_TOKEN_TTL_S, verifyToken } from './tokens'

const KEY = 'unit-test-signing-key-0123456789abcdef'
const NOW = Date.UTC(2026, 0, 1)

describe('OAuth tokens', () => {
  it('round-trips the claims and expires exactly at exp (injected clock)', async () => {
    const { token, expiresIn } = await issueToken(KEY, { sub: 'c1', scope: 'webhook:*', typ: 'access' }, NOW)
    expect(expiresIn).toBe(ACCESS_TOKEN_TTL_S)
    const claims = await verifyToken(KEY, token, NOW)
    expect(claims).toEqual({
      sub: 'c1',
      scope: 'webhook:*',
      typ: 'access',
      iat: NOW / 1000,
      exp: NOW / 1000 + 3600,
    })
    expect(await verifyToken(KEY, token, NOW + 3599_999)).toBeDefined()
    expect(await verifyToken(KEY, token, NOW + 3600_000)).toBeUndefined()
  })

  it('refresh tokens live 30 days', async () => {
    const { token, expiresIn } = await issueToken(KEY, { sub: 'c1', scope: 'webhook:t', typ: 'refresh' }, NOW)
    expect(expiresIn).toBe(REFRESH_TOKEN_TTL_S)
    expect((await verifyToken(KEY, token, NOW + 29 * 86400_000))?.typ).toBe('refresh')
    expect(await verifyToken(KEY, token, NOW + 30 * 86400_000)).toBeUndefined()
  })

  it('rejects another key, a tampered payload, alg none and foreign claim shapes', async () => {
    const { token } = await issueToken(KEY, { sub: 'c1', scope: 'webhook:t1', typ: 'access' }, NOW)
    expect(await verifyToken(`${KEY}x`, token, NOW)).toBeUndefined()
    const [h, , s] = token.split('.')
    const forged = base64UrlEncodeText(
      JSON.stringify({ sub: 'c1', scope: 'webhook:*', typ: 'access', iat: 1, exp: 9e9 }),
    )
    expect(await verifyToken(KEY, `${h}.${forged}.${s}`, NOW)).toBeUndefined()
    const none = `${base64UrlEncodeText('{"alg":"none","typ":"JWT"}')}.${forged}.`
    expect(await verifyToken(KEY, none, NOW)).toBeUndefined()
    const foreign = await sign({ clientID: 'tenant', exp: NOW / 1000 + 60 }, KEY, 'HS256')
    expect(await verifyToken(KEY, foreign, NOW)).toBeUndefined()
    expect(await verifyToken(KEY, 'not-a-jwt', NOW)).toBeUndefined()
  })
})
