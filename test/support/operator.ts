import { expect } from 'vitest'
import { OTHER_TENANT } from './constants'
import { type ScgFixtureName, scgEnvelope } from './event-manager'
import { ci360Fake, scgFake } from './fake-control'
import { outboundEvent } from './fixtures'
import { webhookTenant } from './scg-webhook'
import { type CallInit, call, envWith, json, type TestTenant } from './worker'

type WebhookTenant = ReturnType<typeof webhookTenant>

/**
 * A tenant with Event Manager credentials and admin keys, another tenant, and callers for the
 * webhook, the CI360 route and the operator API. `configure` swaps the tenant's settings (the same
 * keys), as an operator fixing a missing event name would.
 */
export function operatorSetup(overrides: Record<string, unknown> = {}) {
  const t = webhookTenant(undefined, overrides)
  const other = webhookTenant(OTHER_TENANT)
  let testEnv = envWith([t, other])
  const admin = (path: string, init: CallInit = {}, key = t.adminKey, who: TestTenant = t) =>
    call(testEnv, `/v1/tenants/${who.id}${path}`, { ...init, headers: { 'x-api-key': key, ...init.headers } })
  const basic = (w: WebhookTenant) => `Basic ${btoa(`${w.webhook.username}:${w.webhook.password}`)}`
  const webhook = async (envelope: unknown, w: WebhookTenant = t) => {
    const res = await call(testEnv, `/v1/webhooks/scg/${w.id}`, {
      body: envelope,
      headers: { authorization: basic(w), 'content-type': 'application/json' },
    })
    expect(res.status).toBe(200)
    return json(res)
  }
  const scg = (name: ScgFixtureName, patch?: (e: any) => void) => webhook(scgEnvelope(name, patch))
  const configure = (settings: Record<string, unknown>) => {
    t.secret = { ...t.secret, ...settings }
    testEnv = envWith([t, other])
  }
  /** A CI360 outbound event sent through SCG: `ok` (200), `queued` (503 first). Returns guid and message id. */
  const send = async (outcome: 'ok' | 'queued', patch?: (e: any) => void) => {
    if (outcome === 'queued') {
      await scgFake.script(t.scgToken, [
        { status: 503, body: { error_code: '5030', error_description: 'busy' } },
      ])
    }
    const event = outboundEvent('outbound-sms', { patch })
    const res = await call(testEnv, `/v1/tenants/${t.id}/scg/messages`, {
      body: event,
      headers: { 'x-api-key': t.apiKey },
    })
    const body = await json(res)
    expect(body.status).toBe(outcome === 'ok' ? 'OK' : 'QUEUED')
    return { guid: event.guid as string, messageId: body.message_id as string | undefined, event }
  }
  const ci360Events = async () => (await ci360Fake.requests(t.ci360Key)).map((r) => r.body)
  return { t, other, admin, webhook, scg, configure, send, ci360Events, env: () => testEnv }
}
