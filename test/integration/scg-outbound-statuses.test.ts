import { describe, expect, it } from 'vitest'
import { FIXTURE_TENANT } from '../support/constants'
import { scgFake } from '../support/fake-control'
import { outboundEvent } from '../support/fixtures'
import { rows } from '../support/rows'
import { envWith, json, postScgMessage as post, testTenant } from '../support/worker'

const delivery = (guid: string, tenant = FIXTURE_TENANT) => rows.delivery(guid, tenant)
const failedRequest = (guid: string, tenant = FIXTURE_TENANT) => rows.failedRequest(guid, tenant)

describe('SCG outbound: statuses', () => {
  it('IGNORED: an eventType other than outboundSystem is answered 200 and nothing is stored or sent', async () => {
    const t = testTenant()
    const event = outboundEvent('outbound-sms', { patch: (e) => (e.eventType = 'outboundCustom') })
    const res = await post(envWith([t]), t.apiKey, event)
    expect(res.status).toBe(200)
    expect(await json(res)).toEqual({
      status: 'IGNORED',
      guid: event.guid,
      reason: 'eventType is not outboundSystem',
    })
    expect(await delivery(event.guid)).toBeNull()
    expect(await scgFake.requests(t.scgToken)).toHaveLength(0)
  })

  it('STALE: older than event_ttl is recorded and not sent; exactly event_ttl old is still sent', async () => {
    const t = testTenant(FIXTURE_TENANT, { event_ttl: '60' })
    const testEnv = envWith([t])
    const stale = outboundEvent('outbound-sms', {
      patch: (e) => (e.date.generatedTimestamp = Date.now() - 61_000),
    })
    const res = await post(testEnv, t.apiKey, stale)
    expect(res.status).toBe(200)
    expect(await json(res)).toMatchObject({ status: 'STALE', guid: stale.guid })
    expect(await delivery(stale.guid)).toMatchObject({ state: 'stale', attempts: 0 })
    expect(await scgFake.requests(t.scgToken)).toHaveLength(0)

    const fresh = outboundEvent('outbound-sms', {
      patch: (e) => (e.date.generatedTimestamp = Date.now() - 55_000),
    })
    expect((await json(await post(testEnv, t.apiKey, fresh))).status).toBe('OK')
  })

  it('DUPLICATE: a redelivered guid gets the first result and no second SCG call', async () => {
    const t = testTenant()
    const testEnv = envWith([t])
    const event = outboundEvent('outbound-sms')
    const first = await json(await post(testEnv, t.apiKey, event))
    const second = await post(testEnv, t.apiKey, event)
    expect(second.status).toBe(200)
    expect(await json(second)).toEqual({
      status: 'DUPLICATE',
      guid: event.guid,
      state: 'sent',
      message_id: first.message_id,
    })
    expect(await scgFake.requests(t.scgToken)).toHaveLength(1)
  })

  it('DUPLICATE also repeats a failed first result (state queued), still without a provider call', async () => {
    const t = testTenant()
    const testEnv = envWith([t])
    await scgFake.script(t.scgToken, [
      { status: 503, body: { error_code: '5030', error_description: 'busy' } },
    ])
    const event = outboundEvent('outbound-sms')
    expect((await post(testEnv, t.apiKey, event)).status).toBe(202)
    const again = await post(testEnv, t.apiKey, event)
    expect(await json(again)).toEqual({ status: 'DUPLICATE', guid: event.guid, state: 'queued' })
    expect(await scgFake.requests(t.scgToken)).toHaveLength(1)
  })

  it('the same event posted 10 times in parallel makes exactly one SCG call', async () => {
    const t = testTenant()
    const testEnv = envWith([t])
    await scgFake.script(t.scgToken, [{ delayMs: 300, status: 200, body: { id: 'Ga7Ds2Fk9Jw4Lq1Zx6Cv3N' } }])
    const event = outboundEvent('outbound-sms')
    const replies = await Promise.all(Array.from({ length: 10 }, () => post(testEnv, t.apiKey, event)))
    const bodies = await Promise.all(replies.map(json))
    const statuses = bodies.map((b) => (b.status === 'ERROR' ? b.error.code : b.status)).sort()
    expect(statuses.filter((s) => s === 'OK')).toHaveLength(1)
    expect(statuses.every((s) => ['OK', 'DUPLICATE', 'IN_PROGRESS'].includes(s))).toBe(true)
    expect(statuses).toContain('IN_PROGRESS')
    for (const [i, r] of replies.entries()) {
      expect(r.status).toBe(bodies[i]?.status === 'ERROR' ? 409 : 200)
    }
    expect(await scgFake.requests(t.scgToken)).toHaveLength(1)
  })

  it('OK on 201 as well as 200 (any 2xx is success)', async () => {
    const t = testTenant()
    await scgFake.script(t.scgToken, [{ status: 201, body: { id: 'Ga7Ds2Fk9Jw4Lq1Zx6Cv3N' } }])
    const res = await post(envWith([t]), t.apiKey, outboundEvent('outbound-sms'))
    expect(await json(res)).toMatchObject({ status: 'OK', message_id: 'Ga7Ds2Fk9Jw4Lq1Zx6Cv3N' })
  })

  const retryable = [
    {
      label: '503',
      behaviour: {
        status: 503,
        body: { error_code: 'SCG_ERROR_5030', error_description: 'Service unavailable' },
      },
      http: 503,
    },
    {
      label: '500 (5000)',
      behaviour: { status: 500, body: { error_code: '5000', error_description: 'Unexpected' } },
      http: 500,
    },
    { label: '408', behaviour: { status: 408, body: 'Request Timeout' }, http: 408 },
    { label: '429', behaviour: { status: 429, body: 'slow down' }, http: 429 },
    { label: 'a hang past provider_timeout_ms', behaviour: { hang: true, hangMs: 5000 }, http: null },
    { label: 'a dropped connection', behaviour: { drop: true }, http: null },
  ]
  for (const r of retryable) {
    it(`QUEUED: ${r.label} is stored as a pending failed request and answered 202`, async () => {
      const t = testTenant()
      await scgFake.script(t.scgToken, [r.behaviour])
      const event = outboundEvent('outbound-sms')
      const started = Date.now()
      const res = await post(envWith([t]), t.apiKey, event)
      const body = await json(res)
      expect(res.status).toBe(202)
      expect(body.status).toBe('QUEUED')
      expect(body.guid).toBe(event.guid)
      const retryAt = Date.parse(body.retry_at)
      expect(retryAt - started).toBeGreaterThanOrEqual(27_000)
      expect(retryAt - started).toBeLessThanOrEqual(40_000)

      const row = await failedRequest(event.guid)
      expect(row).toMatchObject({ kind: 'scg', state: 'pending', attempts: 1, http_status: r.http })
      expect(row.next_attempt_at).toBe(retryAt)
      expect(JSON.parse(row.event_body).guid).toBe(event.guid)
      expect(row.generated_timestamp).toBe(event.date.generatedTimestamp)
      expect(await delivery(event.guid)).toMatchObject({ state: 'queued', attempts: 1 })
    })
  }

  it('QUEUED: a Retry-After of 120 s puts the next attempt at least 120 s out', async () => {
    const t = testTenant()
    await scgFake.script(t.scgToken, [{ status: 429, body: 'slow down', headers: { 'retry-after': '120' } }])
    const started = Date.now()
    const body = await json(await post(envWith([t]), t.apiKey, outboundEvent('outbound-sms')))
    expect(Date.parse(body.retry_at) - started).toBeGreaterThanOrEqual(120_000)
  })

  const permanent = [
    {
      label: '400 with a bare code',
      behaviour: { status: 400, body: { error_code: '4001', error_description: 'Invalid recipient' } },
      code: '4001',
      http: 400,
    },
    {
      label: '404 access token expired',
      behaviour: {
        status: 404,
        body: { error_code: 'SCG_ERROR_4046', error_description: 'Access token expired' },
      },
      code: 'SCG_ERROR_4046',
      http: 404,
    },
    {
      label: '500 non-retriable 5001',
      behaviour: { status: 500, body: { error_code: '5001', error_description: 'Non retriable' } },
      code: '5001',
      http: 500,
    },
  ]
  for (const p of permanent) {
    it(`PROVIDER_REJECTED: ${p.label} → 422 with SCG's code, stored dead`, async () => {
      const t = testTenant()
      await scgFake.script(t.scgToken, [p.behaviour])
      const event = outboundEvent('outbound-sms')
      const res = await post(envWith([t]), t.apiKey, event)
      const body = await json(res)
      expect(res.status).toBe(422)
      expect(body.status).toBe('ERROR')
      expect(body.error).toMatchObject({
        code: 'PROVIDER_REJECTED',
        provider: 'scg',
        provider_code: p.code,
        provider_status: p.http,
        guid: event.guid,
      })
      expect(body.request_id).toMatch(/^[0-9a-f-]{36}$/)
      expect(await failedRequest(event.guid)).toMatchObject({
        kind: 'scg',
        state: 'dead',
        attempts: 1,
        http_status: p.http,
      })
      expect(await delivery(event.guid)).toMatchObject({ state: 'rejected' })
    })
  }

  it('PROVIDER_REJECTED: SCG quoting the number and text → code kept, number masked, quote dropped', async () => {
    const t = testTenant()
    const description = `Recipient '+14155550123' refused "Meet me at 5 pm" (to 14155550123)`
    await scgFake.script(t.scgToken, [
      { status: 400, body: { error_code: '4001', error_description: description } },
    ])
    const event = outboundEvent('outbound-sms')
    const res = await post(envWith([t]), t.apiKey, event)
    const body = await json(res)
    expect(res.status).toBe(422)
    expect(body.error).toMatchObject({
      code: 'PROVIDER_REJECTED',
      provider_code: '4001',
      provider_status: 400,
    })
    const stored = await failedRequest(event.guid)
    const row = await delivery(event.guid)
    for (const text of [JSON.stringify(body), stored.last_error, row.last_error ?? '', row.history]) {
      expect(text).not.toMatch(/4155550123|Meet me/)
    }
    expect(body.error.message).toContain('*****23')
    expect(stored.last_error).toContain('*****23')
  })

  it('PROVIDER_REJECTED: a wrong SCG token is refused by SCG with 401 (4010)', async () => {
    const t = testTenant(FIXTURE_TENANT, { scg_access_token: 'not-a-valid-token' })
    const res = await post(envWith([t]), t.apiKey, outboundEvent('outbound-sms'))
    expect(res.status).toBe(422)
    expect((await json(res)).error.provider_code).toBe('4010')
  })
})
