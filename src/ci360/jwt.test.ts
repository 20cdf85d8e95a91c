import { describe, expect, it } from 'vitest'
import vector from '../../test/fixtures/ci360/ci360-jwt-vector.json'
import { buildCi360Jwt } from './jwt'

describe('buildCi360Jwt', () => {
  it('matches the shared test vector (key = base64 text of the secret)', async () => {
    const token = await buildCi360Jwt(vector.tenantId, vector.clientSecret)
    expect(token).toBe(vector.token)
    expect(token.split('.')[2]).not.toBe(vector.wrongSignatureIfRawSecretUsedAsKey)
  })
})
