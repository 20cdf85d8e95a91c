import { describe, expect, it } from 'vitest'
import { FIXTURE_TENANT, OTHER_TENANT } from '../support/constants'
import { scgFake } from '../support/fake-control'
import { outboundEvent } from '../support/fixtures'
import { rows } from '../support/rows'
import { call, envWith, json, postScgMessage as post, testTenant } from '../support/worker'

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
        call(testEnv, `/v1/tenants/${FIXTURE_TENANT}/scg/messages`, {
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
    for (const table of ['failed_requests', 'deliveries'] as const) {
      expect(await rows.countSince(table, started)).toBe(0)
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
