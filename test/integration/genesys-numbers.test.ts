import { beforeEach, describe, expect, it } from 'vitest'
import { FIXTURE_TENANT, OTHER_TENANT } from '../support/constants'
import { createEventManager, scgEnvelope, viaWorker } from '../support/event-manager'
import { ci360Fake, genesysFake } from '../support/fake-control'
import { genesysTenant, openMessage, openMessagingRequest } from '../support/genesys'
import { wipeTables } from '../support/rows'
import { globalWebhookVars, webhookTenant } from '../support/scg-webhook'
import { call, envWith, json, type TestTenant } from '../support/worker'

beforeEach(wipeTables)

const GENESYS_NUMBER = '+18885550199'
const MESSAGE = /\/inbound\/open\/message$/

/** A Genesys tenant that is not the global `tenant_id` (OTHER_TENANT), and a plain tenant that is. */
function tenants() {
  const plain = webhookTenant(FIXTURE_TENANT)
  const g = { ...genesysTenant(), id: OTHER_TENANT }
  return { plain, g }
}

/** Event Manager's global route (`/v1/webhooks/scg`), which carries no tenant. */
function globalRoute(list: TestTenant[], extra: Record<string, unknown> = {}) {
  const global = globalWebhookVars(extra)
  const testEnv = envWith(list, global.vars)
  const em = createEventManager({
    send: viaWorker(testEnv),
    url: '/v1/webhooks/scg',
    auth: { mode: 'basic', username: global.webhook.username, password: global.webhook.password },
  })
  return { em, testEnv }
}

const textTo = (to: string, from: string, body: string) =>
  scgEnvelope('scg-mo-text', (e) => {
    e.event['fld-val-list'].to_address = to
    e.event['fld-val-list'].from_address = from
    e.event['fld-val-list'].message_body = body
  })

const inboundMessages = async (key: string) =>
  (await genesysFake.requests(key)).filter((r) => MESSAGE.test(r.path)).map((r) => r.body)

describe('a customer text to a Genesys number on the global route', () => {
  it('a first text (never messaged, nothing cached) reaches the number’s tenant’s Genesys as an inbound Open message', async () => {
    const { plain, g } = tenants()
    for (const extra of [{}, { tenant_id: '' }]) {
      const { em } = globalRoute([plain, g], extra)
      const res = await em.deliver(textTo(GENESYS_NUMBER, '+14155550311', `Hello ${Object.keys(extra)}`))
      expect(res.status).toBe(200)
      expect(await json(res)).toMatchObject({ status: 'OK' })
    }
    expect(await inboundMessages(g.genesysKey)).toEqual([
      expect.objectContaining({
        channel: expect.objectContaining({
          platform: 'Open',
          type: 'Private',
          to: { id: GENESYS_NUMBER },
          from: { id: '+14155550311', idType: 'Phone' },
        }),
        type: 'Text',
        text: 'Hello ',
      }),
      expect.objectContaining({ text: 'Hello tenant_id' }),
    ])
    expect(await ci360Fake.requests(plain.ci360Key)).toHaveLength(0)
    expect(await ci360Fake.requests(g.ci360Key)).toHaveLength(0)
  })

  it('a reply after a Genesys send (which writes no identity cache) reaches Genesys too', async () => {
    const { plain, g } = tenants()
    const { em, testEnv } = globalRoute([plain, g])
    const sent = await json(
      await (() => {
        const r = openMessagingRequest(g as any, openMessage({ channel: { to: { id: '+14155550312' } } }))
        return call(testEnv, r.path, r.init)
      })(),
    )
    expect(sent).toMatchObject({ status: 'OK', provider: 'scg' })
    expect(await json(await em.deliver(textTo(GENESYS_NUMBER, '+14155550312', 'Thanks!')))).toMatchObject({
      status: 'OK',
    })
    expect(await inboundMessages(g.genesysKey)).toEqual([
      expect.objectContaining({
        text: 'Thanks!',
        channel: expect.objectContaining({ to: { id: GENESYS_NUMBER } }),
      }),
    ])
    expect(await ci360Fake.requests(plain.ci360Key)).toHaveLength(0)
  })

  it('a text to another number is still routed by the identity cache (IGNORED when uncached)', async () => {
    const { plain, g } = tenants()
    const { em } = globalRoute([plain, g])
    expect(await json(await em.deliver(textTo('+18885550100', '+14155550313', 'Hi')))).toMatchObject({
      status: 'IGNORED',
      reason: 'the sender is not in the identity cache and identity_field is blank',
    })
    expect(await inboundMessages(g.genesysKey)).toHaveLength(0)
  })
})

describe('genesys.numbers across tenants', () => {
  it('two tenants listing the same number is a configuration error naming the keys, never the number', async () => {
    const a = { ...genesysTenant(), id: FIXTURE_TENANT }
    const b = { ...genesysTenant({}, { numbers: ['+18885550100', GENESYS_NUMBER] }), id: OTHER_TENANT }
    const res = await call(envWith([a, b]), '/health')
    expect(res.status).toBe(500)
    const text = await res.text()
    expect(JSON.parse(text).error.code).toBe('CONFIG_INVALID')
    expect(text).toContain(`TENANT_${OTHER_TENANT}.genesys.numbers.1`)
    expect(text).not.toContain(GENESYS_NUMBER)
  })
})
