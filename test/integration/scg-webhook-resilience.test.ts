import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { createLogger } from '../../src/lib/log'
import { retryCi360Event } from '../../src/retry/ci360-event'
import { appWith } from '../support/app'
import { brokenD1, brokenKv } from '../support/broken'
import { FIXTURE_TENANT } from '../support/constants'
import { basicEventManager, scgEnvelope, viaApp } from '../support/event-manager'
import { ci360Fake } from '../support/fake-control'
import { rows } from '../support/rows'
import { cacheFixtureIdentities, webhookTenant } from '../support/scg-webhook'
import { envWith, json } from '../support/worker'

const DELIVERED = {
  eventName: 'SMS Delivered',
  datahub_id: '3f9d2c71-8a4e-3b6f-9c1d-7e5a2b8f0c13',
  externalCode: 'TSK_1187',
}

function setup(overrides: Parameters<typeof appWith>[1] = {}) {
  const t = webhookTenant()
  const testEnv = envWith([t])
  const built = appWith(testEnv, overrides)
  const em = basicEventManager(viaApp(built.app), { id: FIXTURE_TENANT, webhook: t.webhook })
  return { t, testEnv, em, deps: built.deps }
}

/** A D1 whose statements fail when their SQL matches `pattern` (everything else is the real D1). */
function d1FailingOn(pattern: RegExp): D1Database {
  return new Proxy(env.DB, {
    get(target, prop) {
      if (prop === 'prepare') {
        return (sql: string) => {
          if (!pattern.test(sql)) return target.prepare(sql)
          const fail = () => Promise.reject(new Error('D1_ERROR: simulated outage'))
          const statement: any = { bind: () => statement, run: fail, first: fail, all: fail, raw: fail }
          return statement
        }
      }
      const v = Reflect.get(target, prop)
      return typeof v === 'function' ? v.bind(target) : v
    },
  })
}

describe('SCG webhook resilience', () => {
  it('CI360 down (503): stored as a ci360_event failed request, 200 QUEUED; the retry delivers exactly one event', async () => {
    const { t, em, deps } = setup()
    await ci360Fake.script(t.ci360Key, [{ status: 503, body: { message: 'down' } }])
    const envelope = scgEnvelope('scg-status-delivered')
    const res = await em.deliver(envelope)
    expect(res.status).toBe(200)
    const body = await json(res)
    expect(body).toMatchObject({ status: 'QUEUED', event_id: envelope['event-id'] })
    expect(Date.parse(body.retry_at)).toBeGreaterThan(Date.now())

    const row = await rows.ci360EventFailure(FIXTURE_TENANT, envelope['event-id'])
    expect(row).toMatchObject({ kind: 'ci360_event', state: 'pending', attempts: 1, http_status: 503 })
    const stored = { ...DELIVERED, connector_event_id: `scg:${envelope['event-id']}` }
    expect(JSON.parse(row.event_body)).toEqual(stored)
    expect((await rows.scgWebhookEvent(envelope['event-id']))?.outcome).toBe('QUEUED')

    // CI360 is back: the retry handler (what the cron runs) posts the stored event once.
    const tenant = deps.config.tenant(FIXTURE_TENANT)!
    // What the retry engine hands a handler for this row.
    const ctx = { deps, tenant, row, log: createLogger('silent'), now: Date.now() }
    const outcome = await retryCi360Event(ctx)
    expect(outcome.result).toBe('done')
    // Syniverse redelivering meanwhile changes nothing.
    expect((await json(await em.redeliver(envelope))).status).toBe('DUPLICATE')
    const requests = await ci360Fake.requests(t.ci360Key)
    expect(requests.map((r) => r.body)).toEqual([stored, stored]) // the refused one, then the retry
  })

  it('CI360 refuses the event (400): stored as dead for the operator, webhook still 200', async () => {
    const { t, em } = setup()
    await ci360Fake.script(t.ci360Key, [{ status: 400, body: { message: 'unknown event' } }])
    const envelope = scgEnvelope('scg-status-delivered')
    expect(await json(await em.deliver(envelope))).toEqual({
      status: 'QUEUED',
      event_id: envelope['event-id'],
    })
    expect(await rows.ci360EventFailure(FIXTURE_TENANT, envelope['event-id'])).toMatchObject({
      state: 'dead',
      http_status: 400,
    })
  })

  it('D1 down → 503 STORAGE_UNAVAILABLE before CI360 is called (Syniverse redelivers)', async () => {
    const { t, em } = setup({ db: brokenD1() })
    const res = await em.deliver(scgEnvelope('scg-status-delivered'))
    expect(res.status).toBe(503)
    expect((await json(res)).error.code).toBe('STORAGE_UNAVAILABLE')
    expect(await ci360Fake.requests(t.ci360Key)).toHaveLength(0)
  })

  it('CI360 down and the failed request cannot be stored → claim released, 503; the redelivery is processed', async () => {
    const { t, testEnv, em } = setup({ db: d1FailingOn(/INSERT INTO failed_requests/) })
    await ci360Fake.script(t.ci360Key, [{ status: 503, body: { message: 'down' } }])
    const envelope = scgEnvelope('scg-status-delivered')
    const first = await em.deliver(envelope)
    expect(first.status).toBe(503)
    expect((await json(first)).error.code).toBe('STORAGE_UNAVAILABLE')
    expect(await rows.scgWebhookEvent(envelope['event-id'])).toBeNull()

    const healthy = basicEventManager(viaApp(appWith(testEnv).app), {
      id: FIXTURE_TENANT,
      webhook: t.webhook,
    })
    expect((await json(await healthy.redeliver(envelope))).status).toBe('OK')
    const sent = { ...DELIVERED, connector_event_id: `scg:${envelope['event-id']}` }
    expect((await ci360Fake.requests(t.ci360Key)).map((r) => r.body)).toEqual([sent, sent])
  })

  it('a KV outage while resolving a reply → 503 (Event Manager redelivers), nothing injected or claimed', async () => {
    await cacheFixtureIdentities()
    const { t, em } = setup({ kv: brokenKv() })
    const envelope = scgEnvelope('scg-mo-text')
    const res = await em.deliver(envelope)
    expect(res.status).toBe(503)
    expect((await json(res)).error.code).toBe('STORAGE_UNAVAILABLE')
    expect(await ci360Fake.requests(t.ci360Key)).toHaveLength(0)
    expect(await rows.scgWebhookEvent(envelope['event-id'])).toBeNull()
  })

  it('a tenant without CI360 settings → 500 CONFIG_INVALID and nothing claimed, so the redelivery after the fix works', async () => {
    const t = webhookTenant(FIXTURE_TENANT, { ci360_api_url: '' })
    const testEnv = envWith([t])
    const em = basicEventManager(viaApp(appWith(testEnv).app), { id: FIXTURE_TENANT, webhook: t.webhook })
    const envelope = scgEnvelope('scg-status-delivered')
    const res = await em.deliver(envelope)
    expect(res.status).toBe(500)
    expect((await json(res)).error.code).toBe('CONFIG_INVALID')
    expect(await rows.scgWebhookEvent(envelope['event-id'])).toBeNull()
  })
})
