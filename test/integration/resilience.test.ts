import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import pkg from '../../package.json'
import { appWith } from '../support/app'
import { brokenD1, brokenKv } from '../support/broken'
import { FIXTURE_TENANT } from '../support/constants'
import { scgFake } from '../support/fake-control'
import { outboundEvent } from '../support/fixtures'
import { rows } from '../support/rows'
import { call, envWith, json, testTenant } from '../support/worker'

const post = (app: ReturnType<typeof appWith>['app'], key: string, body: unknown) =>
  app.request(`https://connector.example.com/v1/tenants/${FIXTURE_TENANT}/scg/messages`, {
    method: 'POST',
    headers: { 'x-api-key': key, 'content-type': 'text/plain;charset=UTF-8' },
    body: JSON.stringify(body),
  })

describe('resilience', () => {
  it('answers 503 STORAGE_UNAVAILABLE when D1 is down, before any provider call', async () => {
    const t = testTenant()
    const { app } = appWith(envWith([t]), { db: brokenD1() })
    const res = await post(app, t.apiKey, outboundEvent('outbound-sms'))
    expect(res.status).toBe(503)
    expect((await json(res)).error.code).toBe('STORAGE_UNAVAILABLE')
    expect(await scgFake.requests(t.scgToken)).toHaveLength(0)
  })

  it('releases the claim and answers 503 when a failed send cannot be stored, so a redelivery is sent', async () => {
    const t = testTenant()
    const testEnv = envWith([t])
    await scgFake.script(t.scgToken, [
      { status: 503, body: { error_code: '5030', error_description: 'down' } },
    ])
    const event = outboundEvent('outbound-sms')
    let batchCalls = 0
    let claims = 0
    const flaky = new Proxy(env.DB, {
      get(target, prop, receiver) {
        if (prop === 'batch') {
          return (statements: D1PreparedStatement[]) => {
            // The claim (with its opt-out check) is a batch too: it goes through; the failure's does not.
            if (claims++ === 0) return target.batch(statements)
            batchCalls++
            return Promise.reject(new Error('D1_ERROR: simulated outage during batch'))
          }
        }
        const v = Reflect.get(target, prop, receiver)
        return typeof v === 'function' ? v.bind(target) : v
      },
    })
    const first = await post(appWith(testEnv, { db: flaky as D1Database }).app, t.apiKey, event)
    expect(first.status).toBe(503)
    expect(batchCalls).toBe(1)
    const row = await rows.delivery(event.guid)
    expect(row).toBeNull()

    const second = await post(appWith(testEnv).app, t.apiKey, event)
    expect((await json(second)).status).toBe('OK')
    expect(await scgFake.requests(t.scgToken)).toHaveLength(2)
  })

  it('a KV outage does not fail a send (the identity cache is only a cache)', async () => {
    const t = testTenant()
    const { app } = appWith(envWith([t]), { kv: brokenKv() })
    const res = await post(app, t.apiKey, outboundEvent('outbound-sms'))
    expect(res.status).toBe(200)
    expect((await json(res)).status).toBe('OK')
  })

  it('GET /health reports the version and nothing about tenants', async () => {
    const t = testTenant()
    const res = await call(envWith([t]), '/health')
    expect(res.status).toBe(200)
    expect(await json(res)).toEqual({ status: 'OK', version: pkg.version })
  })

  it('unknown routes get the JSON 404 body', async () => {
    const res = await call(envWith([]), '/v1/nope')
    expect(res.status).toBe(404)
    expect(await json(res)).toMatchObject({ status: 'ERROR', error: { code: 'NOT_FOUND' } })
  })

  it('an invalid global setting makes every route answer 500 CONFIG_INVALID naming the variable', async () => {
    const res = await call(envWith([], { event_ttl: 'one hour' }), '/health')
    expect(res.status).toBe(500)
    const body = await json(res)
    expect(body.error.code).toBe('CONFIG_INVALID')
    expect(body.error.message).toContain('event_ttl')
    expect(body.error.message).not.toContain('one hour')
  })

  it('a broken tenant secret answers 500 CONFIG_INVALID without naming values', async () => {
    const t = testTenant(FIXTURE_TENANT, { event_ttl: 'not-a-number' })
    const res = await call(envWith([t]), `/v1/tenants/${FIXTURE_TENANT}/scg/messages`, {
      body: outboundEvent('outbound-sms'),
      headers: { 'x-api-key': t.apiKey },
    })
    expect(res.status).toBe(500)
    const text = await res.text()
    expect(text).toContain('CONFIG_INVALID')
    expect(text).not.toContain('not-a-number')
  })
})
