import { describe, expect, it } from 'vitest'
import { authScheme, parseBasicAuth, parseBearer } from './basic-auth'

const b64 = (s: string) => btoa(String.fromCharCode(...new TextEncoder().encode(s)))

describe('Authorization header parsing', () => {
  it('decodes Basic credentials; only the first colon separates; UTF-8 works', () => {
    expect(parseBasicAuth(`Basic ${b64('user:pa:ss')}`)).toEqual({ username: 'user', password: 'pa:ss' })
    expect(parseBasicAuth(`basic ${b64('jörg:€uro')}`)).toEqual({ username: 'jörg', password: '€uro' })
    expect(parseBasicAuth(`Basic ${b64(':')}`)).toEqual({ username: '', password: '' })
  })

  it('returns undefined for other schemes, bad base64, no colon or invalid UTF-8', () => {
    for (const h of [
      undefined,
      '',
      'Bearer abc',
      'Basic',
      'Basic !!!',
      `Basic ${b64('nocolon')}`,
      `Basic ${btoa('\xff\xfe:x')}`,
    ]) {
      expect(parseBasicAuth(h), String(h)).toBeUndefined()
    }
  })

  it('reads Bearer tokens and the scheme word', () => {
    expect(parseBearer('Bearer a.b-c_d')).toBe('a.b-c_d')
    expect(parseBearer('Bearer a b')).toBeUndefined()
    expect(authScheme('  BEARER x')).toBe('bearer')
    expect(authScheme(undefined)).toBe('')
  })
})
