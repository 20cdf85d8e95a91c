import { describe, expect, it } from 'vitest'
import vector from '../../test/fixtures/ci360/ci360-jwt-vector.json'
import { buildCi360Jwt } from './jwt'

describe('buildCi360Jwt', () => {
  it('matches the shared test vector (key = base64 text of the secret)', async () => {
    const token = await buildCi360Jwt(vector.tenantId, vector.clientSecret)
    expect(token).toBe(vector.token)
    expect(token.split('.')[2]).not.toBe(vector.wrongSignatureIfRawSecretUsedAsKey)
  })

  it('signs with the base64 text as the key even when that text reads "PRIVATE"', async () => {
    // Six ASCII bytes whose base64 is "PRIVATEx": as a string key, sign() would read it as a PEM.
    const secret = atob('PRIVATEx')
    const key = btoa(secret)
    expect(key).toContain('PRIVATE')
    const token = await buildCi360Jwt('t1', secret)
    const [header, payload, signature] = token.split('.')
    const hmacKey = await crypto.subtle.importKey(
      'raw',
      new TextEncoder().encode(key),
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['verify'],
    )
    const bytes = Uint8Array.from(
      atob((signature as string).replaceAll('-', '+').replaceAll('_', '/')),
      (c) => c.charCodeAt(0),
    )
    const ok = await crypto.subtle.verify(
      'HMAC',
      hmacKey,
      bytes,
      new TextEncoder().encode(`${header}.${payload}`),
    )
    expect(ok).toBe(true)
    expect(JSON.parse(atob(payload as string))).toEqual({ clientID: 't1' })
  })
})
