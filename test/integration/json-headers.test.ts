import { describe, expect, it } from 'vitest'
import { webhookTenant } from '../support/scg-webhook'
import { call, envWith } from '../support/worker'

/** Every JSON reply, success or error, says `X-Content-Type-Options: nosniff`. */
describe('JSON replies carry X-Content-Type-Options: nosniff', () => {
  const t = webhookTenant()
  const testEnv = envWith([t])
  const cases: [string, () => Promise<Response>, number][] = [
    ['health', () => call(testEnv, '/health'), 200],
    ['an unknown route (404)', () => call(testEnv, '/v1/nowhere'), 404],
    ['a missing API key (401)', () => call(testEnv, `/v1/tenants/${t.id}/scg/messages`, { body: {} }), 401],
    [
      'a body that is not JSON (400)',
      () =>
        call(testEnv, `/v1/tenants/${t.id}/scg/messages`, {
          body: '{not json',
          headers: { 'x-api-key': t.apiKey, 'content-type': 'application/json' },
        }),
      400,
    ],
    [
      'an OAuth token error',
      () =>
        call(testEnv, '/v1/oauth/token', {
          body: 'grant_type=client_credentials&client_id=nobody&client_secret=x',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
        }),
      401,
    ],
    [
      'an admin list',
      () => call(testEnv, `/v1/tenants/${t.id}/events`, { headers: { 'x-api-key': t.adminKey } }),
      200,
    ],
    [
      'a configuration error (500)',
      () => call(envWith([t], { TOKEN_SIGNING_KEY: 'too-short' }), '/health'),
      500,
    ],
  ]
  for (const [name, request, status] of cases) {
    it(name, async () => {
      const res = await request()
      expect(res.status).toBe(status)
      expect(res.headers.get('content-type')).toMatch(/^application\/json/)
      expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    })
  }
})
