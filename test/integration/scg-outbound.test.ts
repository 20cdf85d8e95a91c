import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { FIXTURE_TENANT, OTHER_TENANT } from '../support/constants'
import { scgFake } from '../support/fake-control'
import { outboundEvent } from '../support/fixtures'
import { call, envWith, json, testTenant } from '../support/worker'

const path = (tenant = FIXTURE_TENANT) => `/v1/tenants/${tenant}/scg/messages`

function post(
  testEnv: Env,
  key: string,
  body: unknown,
  contentType = 'text/plain;charset=UTF-8',
  tenant?: string,
) {
  return call(testEnv, path(tenant), { body, headers: { 'x-api-key': key, 'content-type': contentType } })
}

const delivery = (guid: string, tenant = FIXTURE_TENANT) =>
  env.DB.prepare('SELECT * FROM deliveries WHERE tenant_id = ? AND guid = ?').bind(tenant, guid).first<any>()
const failedRequest = (guid: string, tenant = FIXTURE_TENANT) =>
  env.DB.prepare('SELECT * FROM failed_requests WHERE tenant_id = ? AND guid = ?')
    .bind(tenant, guid)
    .first<any>()

describe('SCG outbound: the shared fixtures produce the expected SCG requests', () => {
  const cases = [
    {
      name: 'outbound-sms' as const,
      expected: {
        from: 'channel:Zx8QpLm2RkWc4sTn7YbVhA',
        to: ['+14155550123'],
        body: 'Hi Dana, your table for 2 at Harbor Grill is confirmed for Friday 7:30pm. Reply STOP to opt out.',
        // identity | task | tenant | the event's guid (unique per CI360 event)
        external_id: expect.stringMatching(
          /^3f9d2c71-8a4e-3b6f-9c1d-7e5a2b8f0c13\|TSK_1187\|6b1f0e2a9c4d30018e7a52c4\|[\w-]+$/,
        ),
      },
      phone: '+14155550123',
    },
    {
      name: 'outbound-sms-oneline' as const,
      expected: {
        from: 'channel:Zx8QpLm2RkWc4sTn7YbVhA',
        to: ['+16505550142'],
        body: 'Your Acme verification code is 482913. It expires in 10 minutes.',
      },
      phone: '+16505550142',
    },
    {
      name: 'outbound-mms' as const,
      expected: {
        from: 'channel:Zx8QpLm2RkWc4sTn7YbVhA',
        to: ['+13125550188'],
        media_urls: ['https://cdn.example.com/promos/spring-sale-2025.jpg'],
        // identity | task | tenant | the event's guid (unique per CI360 event)
        external_id: expect.stringMatching(
          /^d05a7c3e-9f12-3b84-8e6d-4c1a0b9f7e28\|TSK_1201\|6b1f0e2a9c4d30018e7a52c4\|[\w-]+$/,
        ),
      },
      phone: '+13125550188',
    },
    {
      name: 'outbound-whatsapp' as const,
      expected: {
        from: 'sender_id:Wq3eR5tY7uI9oP1aS2dF4g',
        to: ['+447700900456'],
        body: 'Hello Priya, your order 88213 has shipped. Track it at https://track.example.com/88213',
        media_urls: ['https://cdn.example.com/receipts/order-88213.pdf'],
      },
      phone: '+447700900456',
    },
  ]

  for (const c of cases) {
    for (const contentType of ['text/plain;charset=UTF-8', 'application/json']) {
      it(`sends ${c.name} (${contentType.split(';')[0]}) and records the delivery`, async () => {
        const t = testTenant()
        const testEnv = envWith([t])
        const event = outboundEvent(c.name)
        const res = await post(testEnv, t.apiKey, event, contentType)
        const body = await json(res)

        expect(res.status).toBe(200)
        expect(body).toMatchObject({ status: 'OK', provider: 'scg', guid: event.guid })
        expect(body.message_id).toMatch(/^[\w-]{22}$/)

        const sent = await scgFake.requests(t.scgToken)
        expect(sent).toHaveLength(1)
        expect(sent[0]?.headers.authorization).toBe(`Bearer ${t.scgToken}`)
        expect(sent[0]?.headers['content-type']).toMatch(/^application\/json/)
        expect(sent[0]?.body).toMatchObject(c.expected)
        expect(sent[0]?.body.external_id).toBe(
          `${event.identityId}|${event.properties.externalCode}|${FIXTURE_TENANT}|${event.guid}`,
        )

        const row = await delivery(event.guid)
        expect(row).toMatchObject({
          state: 'sent',
          provider: 'scg',
          provider_message_id: body.message_id,
          attempts: 1,
        })
        expect(row.identity_id).toBe(event.identityId)

        const cached = await env.IDENTITY_CACHE.get(`phone:${c.phone}`, 'json')
        expect(cached).toMatchObject({ datahub_id: event.identityId, tenant_id: FIXTURE_TENANT })
      })
    }
  }

  it('caches the identity with expirationTtl = cache_ttl (minimum 60 s)', async () => {
    const t = testTenant(FIXTURE_TENANT, { cache_ttl: '30' })
    const event = outboundEvent('outbound-sms-oneline', {
      patch: (e) => {
        e.impression.creativeContent = 'TO:+16505550999;Ttl check'
      },
    })
    const before = Math.floor(Date.now() / 1000)
    expect((await post(envWith([t]), t.apiKey, event)).status).toBe(200)
    const listed = await env.IDENTITY_CACHE.list({ prefix: 'phone:+16505550999' })
    const expiration = listed.keys[0]?.expiration ?? 0
    expect(expiration).toBeGreaterThanOrEqual(before + 60)
    expect(expiration).toBeLessThanOrEqual(before + 62)
  })
})

describe('SCG outbound: sender and channel rules', () => {
  const creative = (content: string) =>
    outboundEvent('outbound-sms-oneline', {
      patch: (e) => {
        e.impression.creativeContent = content
      },
    })

  it('picks the scg_demo_senders entry with the longest country-code prefix when FROM is absent', async () => {
    const t = testTenant(FIXTURE_TENANT, {
      scg_demo_senders: '{"1":"channel:US","1415":"channel:SF","44":"channel:UK"}',
    })
    await post(envWith([t]), t.apiKey, creative('TO:+14155550123;Hello'))
    await post(envWith([t]), t.apiKey, creative('TO:+16505550142;Hello'))
    await post(envWith([t]), t.apiKey, creative('TO:+61255550142;Hello'))
    const froms = (await scgFake.requests(t.scgToken)).map((r) => r.body.from)
    expect(froms).toEqual(['channel:SF', 'channel:US', 'channel:DefaultSenderChan000001'])
  })

  it('prefixes WeChat recipients and marks JSON RCS bodies with the raw-message content type', async () => {
    const t = testTenant()
    await post(envWith([t]), t.apiKey, creative('TO:wxid_abc123;CHANNEL:WeChat;Hello'))
    await post(envWith([t]), t.apiKey, creative('TO:+14155550123;CHANNEL:RCS;{"text":"hi"}'))
    const [wechat, rcs] = (await scgFake.requests(t.scgToken)).map((r) => r.body)
    expect(wechat.to).toEqual(['we:@wxid_abc123'])
    expect(wechat.content_type).toBeUndefined()
    expect(rcs.to).toEqual(['+14155550123'])
    expect(rcs.content_type).toBe('application/vnd.scg.grcs.raw-message')
  })

  it('answers 400 INVALID_CREATIVE when no sender can be chosen, without calling SCG', async () => {
    const t = testTenant(FIXTURE_TENANT, { scg_default_sender: '' })
    const res = await post(envWith([t]), t.apiKey, creative('TO:+14155550123;Hello'))
    expect(res.status).toBe(400)
    expect((await json(res)).error).toMatchObject({ code: 'INVALID_CREATIVE', field: 'FROM' })
    expect(await scgFake.requests(t.scgToken)).toHaveLength(0)
  })
})

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

describe('SCG outbound: bad input gets a specific 4xx and never reaches SCG', () => {
  const t = testTenant()
  const other = testTenant(OTHER_TENANT)
  const testEnv = envWith([t, other])

  const cases: {
    name: string
    send: () => Promise<Response>
    status: number
    code: string
    field?: string
  }[] = [
    {
      name: 'malformed JSON',
      send: () => post(testEnv, t.apiKey, '{"guid": '),
      status: 400,
      code: 'INVALID_JSON',
    },
    { name: 'an empty body', send: () => post(testEnv, t.apiKey, ''), status: 400, code: 'INVALID_JSON' },
    {
      name: 'a JSON array',
      send: () => post(testEnv, t.apiKey, '[1,2]'),
      status: 400,
      code: 'VALIDATION_FAILED',
    },
    {
      name: 'generatedTimestamp as a string',
      send: () =>
        post(
          testEnv,
          t.apiKey,
          outboundEvent('outbound-sms', { patch: (e) => (e.date.generatedTimestamp = '1700000000000') }),
        ),
      status: 400,
      code: 'VALIDATION_FAILED',
      field: 'date.generatedTimestamp',
    },
    {
      name: 'a missing guid',
      send: () => post(testEnv, t.apiKey, outboundEvent('outbound-sms', { patch: (e) => delete e.guid })),
      status: 400,
      code: 'VALIDATION_FAILED',
      field: 'guid',
    },
    {
      name: 'a missing creativeContent',
      send: () =>
        post(
          testEnv,
          t.apiKey,
          outboundEvent('outbound-sms', { patch: (e) => delete e.impression.creativeContent }),
        ),
      status: 400,
      code: 'VALIDATION_FAILED',
      field: 'impression.creativeContent',
    },
    {
      name: 'a body over 256 KiB',
      send: () =>
        post(
          testEnv,
          t.apiKey,
          outboundEvent('outbound-sms', { patch: (e) => (e.padding = 'x'.repeat(300 * 1024)) }),
        ),
      status: 413,
      code: 'BODY_TOO_LARGE',
    },
    {
      name: 'an unknown tenant',
      send: () => post(testEnv, t.apiKey, outboundEvent('outbound-sms'), undefined, 'unknown-tenant'),
      status: 401,
      code: 'UNAUTHORIZED',
    },
    {
      name: 'a wrong key',
      send: () => post(testEnv, 'wrong-key', outboundEvent('outbound-sms')),
      status: 401,
      code: 'UNAUTHORIZED',
    },
    {
      name: 'no key',
      send: () =>
        call(testEnv, path(), {
          body: outboundEvent('outbound-sms'),
          headers: { 'content-type': 'text/plain' },
        }),
      status: 401,
      code: 'UNAUTHORIZED',
    },
    {
      name: "another tenant's key",
      send: () => post(testEnv, other.apiKey, outboundEvent('outbound-sms')),
      status: 401,
      code: 'UNAUTHORIZED',
    },
    {
      name: 'the admin key',
      send: () => post(testEnv, t.adminKey, outboundEvent('outbound-sms')),
      status: 401,
      code: 'UNAUTHORIZED',
    },
    {
      name: 'a tenant mismatch between path and body',
      send: () => post(testEnv, other.apiKey, outboundEvent('outbound-sms'), undefined, OTHER_TENANT),
      status: 403,
      code: 'FORBIDDEN',
    },
    {
      name: 'a creative without TO',
      send: () =>
        post(
          testEnv,
          t.apiKey,
          outboundEvent('outbound-sms', {
            patch: (e) => (e.impression.creativeContent = 'FROM:channel:x;Hello'),
          }),
        ),
      status: 400,
      code: 'INVALID_CREATIVE',
      field: 'TO',
    },
    {
      name: 'a creative without a body',
      send: () =>
        post(
          testEnv,
          t.apiKey,
          outboundEvent('outbound-sms', {
            patch: (e) => (e.impression.creativeContent = 'TO:+14155550123;'),
          }),
        ),
      status: 400,
      code: 'INVALID_CREATIVE',
      field: 'body',
    },
    {
      name: 'an unknown CHANNEL',
      send: () =>
        post(
          testEnv,
          t.apiKey,
          outboundEvent('outbound-sms', {
            patch: (e) => (e.impression.creativeContent = 'TO:+14155550123;CHANNEL:PIGEON;Hi'),
          }),
        ),
      status: 400,
      code: 'INVALID_CREATIVE',
      field: 'CHANNEL',
    },
  ]

  for (const c of cases) {
    it(`${c.name} → ${c.status} ${c.code}`, async () => {
      const res = await c.send()
      const body = await json(res)
      expect(res.status).toBe(c.status)
      expect(body.status).toBe('ERROR')
      expect(body.error.code).toBe(c.code)
      expect(typeof body.error.message).toBe('string')
      if (c.field) {
        const named = [body.error.field, ...(body.error.fields ?? [])]
        expect(named).toContain(c.field)
        expect(body.error.message).toContain(c.field)
      }
    })
  }

  it('none of the bad requests reached SCG or left a stored row', async () => {
    const started = Date.now()
    for (const c of cases) await c.send()
    expect(await scgFake.requests(t.scgToken)).toHaveLength(0)
    expect(await scgFake.requests(other.scgToken)).toHaveLength(0)
    for (const table of ['failed_requests', 'deliveries']) {
      const rows = await env.DB.prepare(`SELECT COUNT(*) AS n FROM ${table} WHERE created_at >= ?`)
        .bind(started)
        .first<{ n: number }>()
      expect(rows?.n).toBe(0)
    }
  })

  it('error messages never echo the key or the phone number', async () => {
    const res = await post(testEnv, 'secret-looking-key-123', outboundEvent('outbound-sms'))
    const text = await res.text()
    expect(text).not.toContain('secret-looking-key-123')
    const bad = await post(
      testEnv,
      t.apiKey,
      outboundEvent('outbound-sms', {
        patch: (e) => (e.impression.creativeContent = 'TO:+14155550123;CHANNEL:PIGEON;Hi'),
      }),
    )
    expect(await bad.text()).not.toContain('4155550123')
  })
})
