import { env } from 'cloudflare:workers'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createLogger } from '../../src/lib/log'
import { createIdentityCache } from '../../src/storage/identity-cache'
import { FIXTURE_TENANT, OTHER_TENANT } from '../support/constants'
import { basicEventManager, scgEnvelope, viaWorker } from '../support/event-manager'
import { ci360Fake } from '../support/fake-control'
import { seed } from '../support/rows'
import { globalWebhookVars, webhookTenant } from '../support/scg-webhook'
import { inboundParams, postTwilioWebhook, statusParams, twilioTenant } from '../support/twilio'
import { envWith, json } from '../support/worker'

type Tenant = ReturnType<typeof webhookTenant>

const tenantRoute = (t: Tenant, tenants: Tenant[]) => basicEventManager(viaWorker(envWith(tenants)), t)

function globalRoute(tenants: Tenant[]) {
  const global = globalWebhookVars()
  return basicEventManager(viaWorker(envWith(tenants, global.vars)), { webhook: global.webhook })
}

const moFrom = (from: string) =>
  scgEnvelope('scg-mo-text', (e) => {
    e.event['fld-val-list'].from_address = from
    e.event['fld-val-list'].message_body = 'Yes'
  })

const statusWithId = (eventId: string, externalId: string) =>
  scgEnvelope('scg-status-delivered', (e) => {
    e['event-id'] = eventId
    e.event['fld-val-list'].external_message_request_id = externalId
  })

/** What a successful send stores, through the same cache the send path uses. */
const remember = (phone: string, datahubId: string, tenantId: string, now: number, kv = env.IDENTITY_CACHE) =>
  createIdentityCache(kv, 3600, createLogger('silent')).remember(phone, datahubId, tenantId, now)

/** The identity KV with writes of the global `phone:` key failing (a lost write). */
const globalWritesFail = (kv: KVNamespace): KVNamespace =>
  new Proxy(kv, {
    get(target, prop) {
      if (prop === 'put')
        return (key: string, value: string, opts?: KVNamespacePutOptions) =>
          key.startsWith('phone:') ? Promise.reject(new Error('kv write lost')) : target.put(key, value, opts)
      const v = Reflect.get(target, prop)
      return typeof v === 'function' ? v.bind(target) : v
    },
  })

const unique = () => crypto.randomUUID().slice(0, 8)

describe('tenant isolation: identity cache', () => {
  it('when A and B both message a number, the reply on A’s route goes to A with A’s identity', async () => {
    const a = webhookTenant(FIXTURE_TENANT, { scg_mo_event: 'Reply A' })
    const b = webhookTenant(OTHER_TENANT, { scg_mo_event: 'Reply B' })
    const phone = '+14155550311'
    await remember(phone, 'dh-of-a', a.id, Date.now())
    await remember(phone, 'dh-of-b', b.id, Date.now() + 1000)

    const toA = moFrom(phone)
    const res = await tenantRoute(a, [a, b]).deliver(toA)
    expect(await json(res)).toMatchObject({ status: 'OK' })
    expect((await ci360Fake.requests(a.ci360Key)).map((r) => r.body)).toEqual([
      {
        eventName: 'Reply A',
        datahub_id: 'dh-of-a',
        message_body: 'Yes',
        connector_event_id: `scg:${toA['event-id']}`,
      },
    ])
    // The global route keeps the last writer's tenant.
    const toB = moFrom(phone)
    expect((await json(await globalRoute([a, b]).deliver(toB))).status).toBe('OK')
    expect((await ci360Fake.requests(b.ci360Key)).map((r) => r.body)).toEqual([
      {
        eventName: 'Reply B',
        datahub_id: 'dh-of-b',
        message_body: 'Yes',
        connector_event_id: `scg:${toB['event-id']}`,
      },
    ])
  })

  it('the global route never injects by a global entry that is not the newest for its tenant', async () => {
    const b = webhookTenant(OTHER_TENANT, { scg_mo_event: 'Reply B' })
    const phone = '+14155550312'
    await remember(phone, 'dh-old', b.id, Date.now())
    // B's next send maps the phone to someone else, but the global write is lost.
    await remember(phone, 'dh-new', b.id, Date.now() + 5000, globalWritesFail(env.IDENTITY_CACHE))

    const res = await globalRoute([b]).deliver(moFrom(phone))
    expect(await json(res)).toMatchObject({
      status: 'IGNORED',
      reason: 'the identity cache entry of the sender is not the newest for its tenant',
    })
    expect(await ci360Fake.requests(b.ci360Key)).toHaveLength(0)
  })
})

describe('tenant isolation: dedupe keys', () => {
  it('the same Event Manager event-id on two tenants’ routes is processed for each', async () => {
    const a = webhookTenant(FIXTURE_TENANT)
    const b = webhookTenant(OTHER_TENANT)
    const eventId = `evt-${unique()}`
    const onA = await tenantRoute(a, [a, b]).deliver(statusWithId(eventId, `dh-a|TSK_A|${a.id}`))
    expect((await json(onA)).status).toBe('OK')
    const onB = await tenantRoute(b, [a, b]).deliver(statusWithId(eventId, `dh-b|TSK_B|${b.id}`))
    expect(await json(onB)).toMatchObject({ status: 'OK', event_id: eventId })
    expect((await ci360Fake.requests(b.ci360Key)).map((r) => r.body)).toEqual([
      {
        eventName: 'SMS Delivered',
        datahub_id: 'dh-b',
        externalCode: 'TSK_B',
        connector_event_id: `scg:${eventId}`,
      },
    ])
    // Each tenant's redelivery is still a duplicate.
    const again = await tenantRoute(b, [a, b]).deliver(statusWithId(eventId, `dh-b|TSK_B|${b.id}`))
    expect((await json(again)).status).toBe('DUPLICATE')
    expect(await ci360Fake.requests(b.ci360Key)).toHaveLength(1)
  })

  it('an event claimed before keys were scoped stays a duplicate for its tenant only', async () => {
    const a = webhookTenant(FIXTURE_TENANT)
    const b = webhookTenant(OTHER_TENANT)
    const eventId = `evt-${unique()}`
    await seed.scgWebhookClaim(eventId, a.id, Date.now())
    const redelivered = await tenantRoute(a, [a, b]).deliver(statusWithId(eventId, `dh-a|TSK_A|${a.id}`))
    expect((await json(redelivered)).status).toBe('DUPLICATE')
    expect(await ci360Fake.requests(a.ci360Key)).toHaveLength(0)
    const viaGlobal = await globalRoute([a, b]).deliver(statusWithId(eventId, `dh-b|TSK_B|${b.id}`))
    expect((await json(viaGlobal)).status).toBe('OK')
    expect(await ci360Fake.requests(b.ci360Key)).toHaveLength(1)
  })
})

describe('tenant isolation: Twilio', () => {
  afterEach(() => vi.restoreAllMocks())

  it('the same inbound MessageSid on two tenants’ routes is injected for each', async () => {
    const a = twilioTenant(FIXTURE_TENANT, { identity_field: 'subject_id' })
    const b = twilioTenant(OTHER_TENANT, { identity_field: 'subject_id' })
    const testEnv = envWith([a, b])
    const fromA = inboundParams(a, '+12125550313', 'Hi A')
    const fromB = {
      ...inboundParams(b, '+12125550314', 'Hi B'),
      MessageSid: fromA.MessageSid,
    } as typeof fromA
    for (const [t, params] of [
      [a, fromA],
      [b, fromB],
    ] as const) {
      const res = await postTwilioWebhook(testEnv, `/v1/webhooks/twilio/${t.id}/inbound`, params, t.authToken)
      expect(res.headers.get('x-connector-status')).toBe('OK')
    }
    expect((await ci360Fake.requests(b.ci360Key)).map((r) => r.body.message_body)).toEqual(['Hi B'])
  })

  it('a signed MessageStatus outside Twilio’s set is logged and answered as unknown', async () => {
    const t = twilioTenant()
    const lines: string[] = []
    for (const level of ['log', 'warn', 'error'] as const)
      vi.spyOn(console, level).mockImplementation((text: unknown) => void lines.push(String(text)))
    const res = await postTwilioWebhook(
      envWith([t], { log_level: 'debug' }),
      `/v1/webhooks/twilio/${t.id}/status`,
      statusParams(t, `SM${unique()}`, '+14155550123'),
      t.authToken,
    )
    expect(res.status).toBe(200)
    expect((await json(res)).message_status).toBe('unknown')
    expect(lines.length).toBeGreaterThan(0)
    expect(lines.join('\n')).not.toContain('4155550123')
    expect(lines.some((l) => JSON.parse(l).message_status === 'unknown')).toBe(true)
  })
})
