import { env } from 'cloudflare:workers'
import { beforeEach, describe, expect, it } from 'vitest'
import { createLogger } from '../../src/lib/log'
import { createIdentityCache } from '../../src/storage/identity-cache'
import { FIXTURE_TENANT, OTHER_TENANT } from '../support/constants'
import { createEventManager, scgEnvelope, viaWorker } from '../support/event-manager'
import { ci360Fake } from '../support/fake-control'
import { wipeTables } from '../support/rows'
import { globalWebhookVars, webhookTenant } from '../support/scg-webhook'
import { type CallInit, call, envWith, json, type TestTenant } from '../support/worker'

beforeEach(wipeTables)

const CUSTOMER = '+14155550321'

/** What a successful send by `tenantId` to the customer writes to the identity cache (both keys). */
const sentBy = (tenantId: string, datahubId: string, at: number) =>
  createIdentityCache(env.IDENTITY_CACHE, 3600, createLogger('silent')).remember(
    CUSTOMER,
    datahubId,
    tenantId,
    at,
  )

describe('a replay keeps the tenant its event was stored for', () => {
  it('a reply stored for A on the global route is replayed into A’s CI360 after B messaged the number', async () => {
    const a = webhookTenant(FIXTURE_TENANT)
    const b = webhookTenant(OTHER_TENANT, { scg_mo_event: 'Reply B' })
    const global = globalWebhookVars({ tenant_id: '' })
    const testEnv = envWith([a, b], global.vars)
    const em = createEventManager({
      send: viaWorker(testEnv),
      url: '/v1/webhooks/scg',
      auth: { mode: 'basic', username: global.webhook.username, password: global.webhook.password },
    })
    const admin = (who: TestTenant, key: string, path: string, init: CallInit = {}) =>
      call(testEnv, `/v1/tenants/${who.id}${path}`, { ...init, headers: { 'x-api-key': key } })

    await sentBy(a.id, 'dh-of-a', Date.now())
    const reply = scgEnvelope('scg-mo-text', (e) => {
      e.event['fld-val-list'].from_address = CUSTOMER
      e.event['fld-val-list'].message_body = 'See you then'
    })
    expect(await json(await em.deliver(reply))).toMatchObject({ status: 'OK' })
    const toA = {
      eventName: 'Inbound SMS',
      datahub_id: 'dh-of-a',
      message_body: 'See you then',
      connector_event_id: `scg:${reply['event-id']}`,
    }
    expect((await ci360Fake.requests(a.ci360Key)).map((r) => r.body)).toEqual([toA])

    // B messages the same customer later: the global identity entry now names B.
    await sentBy(b.id, 'dh-of-b', Date.now() + 5_000)
    const [stored] = (await json(await admin(a, a.adminKey, '/events'))).items
    expect(stored).toMatchObject({ event_key: reply['event-id'], state: 'injected' })

    // Only A's admin key finds A's event: B's key on A's path, and B's path with B's key, do not.
    expect((await admin(a, b.adminKey, `/events/${stored.id}/replay`, { method: 'POST' })).status).toBe(401)
    const fromB = await admin(b, b.adminKey, `/events/${stored.id}/replay`, { method: 'POST' })
    expect(fromB.status).toBe(404)

    const replay = await admin(a, a.adminKey, `/events/${stored.id}/replay`, { method: 'POST' })
    expect(replay.status).toBe(200)
    expect(await json(replay)).toMatchObject({ status: 'OK', event_id: reply['event-id'] })
    expect((await ci360Fake.requests(a.ci360Key)).map((r) => r.body)).toEqual([toA, toA])
    expect(await ci360Fake.requests(b.ci360Key)).toHaveLength(0)
    expect((await json(await admin(b, b.adminKey, '/events'))).items).toHaveLength(0)
  })
})
