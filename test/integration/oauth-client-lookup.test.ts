import { decode } from 'hono/jwt'
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config/env'
import { appWith } from '../support/app'
import { FIXTURE_TENANT } from '../support/constants'
import { createEventManager, scgEnvelope, viaApp } from '../support/event-manager'
import { globalWebhookVars, SIGNING_KEY, webhookTenant } from '../support/scg-webhook'
import { call, envWith, json } from '../support/worker'

describe('OAuth clients are found by client_id alone', () => {
  it('Event Manager with a plain token URL (no tenant anywhere) gets a token for the right tenant and delivers', async () => {
    const a = webhookTenant(FIXTURE_TENANT)
    const b = webhookTenant('beta-tenant')
    const { app } = appWith(envWith([a, b], { TOKEN_SIGNING_KEY: SIGNING_KEY }))
    for (const [t, credentialsIn] of [
      [a, 'header'],
      [b, 'body'],
    ] as const) {
      const em = createEventManager({
        send: viaApp(app),
        url: `/v1/webhooks/scg/${t.id}`,
        auth: {
          mode: 'oauth',
          grant: 'client_credentials',
          clientId: t.webhook.clientId,
          clientSecret: t.webhook.clientSecret,
          credentialsIn,
        },
      })
      const tokenRes = await em.fetchToken()
      expect(tokenRes.status).toBe(200)
      const body = await json(tokenRes)
      expect(body.scope).toBe(`webhook:${t.id}`)
      expect(decode(body.access_token).payload).toMatchObject({ sub: t.webhook.clientId, typ: 'access' })
      // The token is accepted on that tenant's webhook route (IGNORED or OK, never 401).
      const delivered = await em.deliver(scgEnvelope('scg-status-delivered'))
      expect(delivered.status).toBe(200)
    }
  })

  it('?tenant= naming the client’s own tenant still works; naming another tenant is invalid_client', async () => {
    const a = webhookTenant(FIXTURE_TENANT)
    const b = webhookTenant('beta-tenant')
    const { app } = appWith(envWith([a, b], { TOKEN_SIGNING_KEY: SIGNING_KEY }))
    const ask = (tenant: string) =>
      app.request(`https://connector.example.com/v1/oauth/token?tenant=${tenant}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: a.webhook.clientId,
          client_secret: a.webhook.clientSecret,
        }).toString(),
      })
    const own = await ask(a.id)
    expect(own.status).toBe(200)
    expect((await json(own)).scope).toBe(`webhook:${a.id}`)
    const other = await ask(b.id)
    expect(other.status).toBe(401)
    expect(await json(other)).toMatchObject({ error: 'invalid_client' })
  })

  it('a client id used by two tenants is a configuration error naming both keys, never the id', async () => {
    const a = webhookTenant(FIXTURE_TENANT)
    const b = webhookTenant('beta-tenant', { scg_webhook: a.secret.scg_webhook })
    const res = await call(envWith([a, b], { TOKEN_SIGNING_KEY: SIGNING_KEY }), '/health')
    expect(res.status).toBe(500)
    const text = await res.text()
    expect(JSON.parse(text).error.code).toBe('CONFIG_INVALID')
    expect(text).toContain('TENANT_beta-tenant.scg_webhook.oauth_clients.0.client_id')
    expect(text).not.toContain(a.webhook.clientId)
  })

  it('a client id in SCG_WEBHOOK_AUTH and in a tenant is a configuration error naming the keys', () => {
    const global = globalWebhookVars()
    const t = webhookTenant(FIXTURE_TENANT, {
      scg_webhook: {
        oauth_clients: [
          { client_id: 'unique-one', client_secret: 's1' },
          { client_id: global.webhook.clientId, client_secret: 'another-secret' },
        ],
      },
    })
    const loaded = loadConfig(envWith([t], global.vars) as unknown as Record<string, unknown>)
    expect(loaded.ok).toBe(false)
    if (loaded.ok) return
    expect(loaded.issues).toEqual([
      `TENANT_${FIXTURE_TENANT}.scg_webhook.oauth_clients.1.client_id: duplicates the client id of SCG_WEBHOOK_AUTH.oauth_clients.0.client_id; OAuth client ids must be unique`,
    ])
    expect(loaded.issues.join()).not.toContain(global.webhook.clientId)
  })
})
