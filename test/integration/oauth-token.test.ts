import { decode } from 'hono/jwt'
import { describe, expect, it } from 'vitest'
import { appWith } from '../support/app'
import { FIXTURE_TENANT } from '../support/constants'
import { globalWebhookVars, SIGNING_KEY, webhookTenant } from '../support/scg-webhook'
import { envWith, json } from '../support/worker'

const T0 = Date.UTC(2026, 2, 2, 14, 0, 0)

function setup(vars: Record<string, unknown> = {}) {
  const t = webhookTenant()
  const global = globalWebhookVars(vars)
  let clock = T0
  const { app } = appWith(envWith([t], global.vars), { now: () => clock })
  const token = (
    form: Record<string, string>,
    headers: Record<string, string> = {},
    path = '/v1/oauth/token',
  ) =>
    app.request(`https://connector.example.com${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(form).toString(),
    })
  return { t, global, token, advance: (ms: number) => (clock += ms) }
}

const basic = (id: string, secret: string) => ({
  authorization: `Basic ${btoa(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`)}`,
})

async function expectOAuthError(res: Response, status: number, error: string) {
  expect(res.status).toBe(status)
  expect(res.headers.get('cache-control')).toBe('no-store')
  const body = await json(res)
  expect(body.error).toBe(error)
  expect(typeof body.error_description).toBe('string')
  expect(body.status).toBeUndefined() // RFC 6749 shape, not our JSON error body
  return body
}

describe('POST /v1/oauth/token', () => {
  it('client_credentials (Basic header, global client) → access token only, scope webhook:*', async () => {
    const { global, token } = setup()
    const res = await token(
      { grant_type: 'client_credentials' },
      basic(global.webhook.clientId, global.webhook.clientSecret),
    )
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('no-store')
    const body = await json(res)
    expect(body).toEqual({
      access_token: expect.any(String),
      token_type: 'Bearer',
      expires_in: 3600,
      scope: 'webhook:*',
    })
    const { header, payload } = decode(body.access_token)
    expect(header.alg).toBe('HS256')
    expect(payload).toEqual({
      sub: global.webhook.clientId,
      scope: 'webhook:*',
      typ: 'access',
      iat: T0 / 1000,
      exp: T0 / 1000 + 3600,
    })
  })

  it('a tenant client is found through ?tenant= on the token URL, a tenant parameter, or its scope', async () => {
    const { t, token } = setup()
    const creds = { client_id: t.webhook.clientId, client_secret: t.webhook.clientSecret }
    const viaQuery = await token(
      { grant_type: 'client_credentials', ...creds },
      {},
      `/v1/oauth/token?tenant=${t.id}`,
    )
    const viaParam = await token(
      { grant_type: 'client_credentials', tenant: t.id },
      basic(creds.client_id, creds.client_secret),
    )
    const viaScope = await token({ grant_type: 'client_credentials', scope: `webhook:${t.id}`, ...creds })
    for (const res of [viaQuery, viaParam, viaScope]) {
      expect(res.status).toBe(200)
      const body = await json(res)
      expect(body.scope).toBe(`webhook:${FIXTURE_TENANT}`)
      expect(decode(body.access_token).payload).toMatchObject({ sub: creds.client_id, typ: 'access' })
    }
    // A hint naming another tenant is refused: the client is not that tenant's.
    await expectOAuthError(
      await token({ grant_type: 'client_credentials', tenant: 'other', ...creds }),
      401,
      'invalid_client',
    )
  })

  it('password grant checks the realm’s basic credentials and issues a refresh token', async () => {
    const { global, token } = setup()
    const client = basic(global.webhook.clientId, global.webhook.clientSecret)
    const ok = await token(
      { grant_type: 'password', username: global.webhook.username, password: global.webhook.password },
      client,
    )
    const body = await json(ok)
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 3600, scope: 'webhook:*' })
    expect(decode(body.refresh_token).payload).toMatchObject({
      typ: 'refresh',
      sub: global.webhook.clientId,
      exp: T0 / 1000 + 30 * 86400,
    })
    const wrong = await token(
      { grant_type: 'password', username: global.webhook.username, password: 'nope' },
      client,
    )
    await expectOAuthError(wrong, 400, 'invalid_grant')
    await expectOAuthError(
      await token({ grant_type: 'password', username: 'x' }, client),
      400,
      'invalid_request',
    )
  })

  it('refresh_token grant: a fresh pair for our refresh token; access tokens, other clients and expired ones are invalid_grant', async () => {
    const { t, global, token, advance } = setup()
    const client = basic(global.webhook.clientId, global.webhook.clientSecret)
    const first = await json(
      await token(
        { grant_type: 'password', username: global.webhook.username, password: global.webhook.password },
        client,
      ),
    )
    advance(7200_000)
    const refreshed = await token({ grant_type: 'refresh_token', refresh_token: first.refresh_token }, client)
    expect(refreshed.status).toBe(200)
    const pair = await json(refreshed)
    expect(decode(pair.access_token).payload).toMatchObject({ typ: 'access', iat: T0 / 1000 + 7200 })
    expect(decode(pair.refresh_token).payload).toMatchObject({ typ: 'refresh' })

    await expectOAuthError(
      await token({ grant_type: 'refresh_token', refresh_token: pair.access_token }, client),
      400,
      'invalid_grant',
    )
    const tenantClient = { grant_type: 'refresh_token', refresh_token: pair.refresh_token, tenant: t.id }
    await expectOAuthError(
      await token(tenantClient, basic(t.webhook.clientId, t.webhook.clientSecret)),
      400,
      'invalid_grant',
    )
    await expectOAuthError(
      await token({ grant_type: 'refresh_token', refresh_token: 'a.b.c' }, client),
      400,
      'invalid_grant',
    )
    await expectOAuthError(await token({ grant_type: 'refresh_token' }, client), 400, 'invalid_request')
    advance(31 * 86400_000)
    await expectOAuthError(
      await token({ grant_type: 'refresh_token', refresh_token: pair.refresh_token }, client),
      400,
      'invalid_grant',
    )
  })

  it('a bad, unknown or missing client → 401 invalid_client with a Basic challenge', async () => {
    const { global, token } = setup()
    const cases = [
      token({ grant_type: 'client_credentials' }, basic(global.webhook.clientId, 'wrong')),
      token({ grant_type: 'client_credentials' }, basic('nobody', global.webhook.clientSecret)),
      token({ grant_type: 'client_credentials', client_id: global.webhook.clientId, client_secret: 'wrong' }),
      token({ grant_type: 'client_credentials', client_id: global.webhook.clientId }),
      token({ grant_type: 'client_credentials' }),
      token({ grant_type: 'client_credentials' }, { authorization: `Bearer ${'x'.repeat(20)}` }),
    ]
    for (const res of cases) {
      await expectOAuthError(await res, 401, 'invalid_client')
      expect((await res).headers.get('www-authenticate')).toMatch(/^Basic realm=/)
    }
  })

  it('bad requests: grant type missing or unsupported, both auth methods, repeated parameters, JSON body, scope', async () => {
    const { global, token, t } = setup()
    const client = basic(global.webhook.clientId, global.webhook.clientSecret)
    await expectOAuthError(await token({}, client), 400, 'invalid_request')
    await expectOAuthError(
      await token({ grant_type: 'authorization_code' }, client),
      400,
      'unsupported_grant_type',
    )
    const both = { grant_type: 'client_credentials', client_secret: global.webhook.clientSecret }
    await expectOAuthError(await token(both, client), 400, 'invalid_request')
    const { app } = appWith(envWith([t], global.vars))
    const twice = await app.request('https://connector.example.com/v1/oauth/token', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...client },
      body: 'grant_type=client_credentials&grant_type=password',
    })
    await expectOAuthError(twice, 400, 'invalid_request')
    const asJson = await app.request('https://connector.example.com/v1/oauth/token', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...client },
      body: JSON.stringify({ grant_type: 'client_credentials' }),
    })
    await expectOAuthError(asJson, 400, 'invalid_request')
    const scope = await token({ grant_type: 'client_credentials', scope: `webhook:${t.id}` }, client)
    await expectOAuthError(scope, 400, 'invalid_scope')
    const ok = await token({ grant_type: 'client_credentials', scope: 'webhook:*' }, client)
    expect(ok.status).toBe(200)
  })

  it('without TOKEN_SIGNING_KEY the endpoint answers 503 temporarily_unavailable (RFC error, no crash)', async () => {
    const { global, token } = setup({ TOKEN_SIGNING_KEY: '' })
    const res = await token(
      { grant_type: 'client_credentials' },
      basic(global.webhook.clientId, global.webhook.clientSecret),
    )
    await expectOAuthError(res, 503, 'temporarily_unavailable')
  })

  it('tokens are signed with TOKEN_SIGNING_KEY', async () => {
    const { global, token } = setup()
    const res = await json(
      await token(
        { grant_type: 'client_credentials' },
        basic(global.webhook.clientId, global.webhook.clientSecret),
      ),
    )
    const { verify } = await import('hono/jwt')
    await expect(
      verify(res.access_token, SIGNING_KEY, { alg: 'HS256', exp: false, iat: false }),
    ).resolves.toMatchObject({ typ: 'access' })
    await expect(
      verify(res.access_token, `${SIGNING_KEY}-other`, { alg: 'HS256', exp: false, iat: false }),
    ).rejects.toThrow()
  })
})
