import { env } from 'cloudflare:workers'
import { beforeEach, describe, expect, it } from 'vitest'
import { FIXTURE_TENANT } from '../support/constants'
import { twilioFake } from '../support/fake-control'
import { outboundEvent } from '../support/fixtures'
import { rows } from '../support/rows'
import { postTwilioMessage, twilioErrorBody, twilioTenant } from '../support/twilio'
import { envWith, json } from '../support/worker'

const delivery = (guid: string, tenant = FIXTURE_TENANT) => rows.delivery(guid, tenant)
const failedRequest = (guid: string, tenant = FIXTURE_TENANT) => rows.failedRequest(guid, tenant)
const withCreative = (content: string) =>
  outboundEvent('outbound-twilio', { patch: (e) => (e.impression.creativeContent = content) })
/** Our callback URL with the send's guid as `g` (docs/scaling.md, "Shards"). */
const withGuid = (url: string) =>
  expect.stringMatching(new RegExp(`^${url.replace(/[.?/]/g, (c) => `\\${c}`)}\\?g=[^&]+$`))
const callback = (tenant = FIXTURE_TENANT) =>
  `https://connector.example.com/v1/webhooks/twilio/${tenant}/status`

// A 21610 answer puts the fixture's number on the opt-out list (docs/compliance.md); each test starts
// without it, so later sends to the same number reach the fake.
beforeEach(async () => {
  await env.DB.prepare('DELETE FROM suppressions').run()
})

describe('Twilio outbound: requests at the fake Twilio', () => {
  it('sends outbound-twilio as a form with Basic auth, repeated MediaUrl and our StatusCallback', async () => {
    const t = twilioTenant()
    const event = outboundEvent('outbound-twilio')
    const res = await postTwilioMessage(envWith([t]), t, event)
    const body = await json(res)

    expect(res.status).toBe(200)
    expect(body).toEqual({
      status: 'OK',
      provider: 'twilio',
      message_id: expect.any(String),
      guid: event.guid,
    })
    expect(body.message_id).toMatch(/^MM[0-9a-f]{32}$/)

    const sent = await twilioFake.requests(t.accountSid)
    expect(sent).toHaveLength(1)
    expect(sent[0]?.headers.authorization).toBe(`Basic ${btoa(`${t.accountSid}:${t.authToken}`)}`)
    expect(sent[0]?.headers['content-type']).toBe('application/x-www-form-urlencoded')
    expect(sent[0]?.body).toEqual({
      To: ['+12125550147'],
      From: ['+18885550100'],
      Body: ['Welcome to Acme Rewards, Sam! Here is your 10% coupon.'],
      MediaUrl: ['https://cdn.example.com/coupons/welcome10.png'],
      StatusCallback: [withGuid(callback())],
    })
    expect(sent[0]?.raw).toContain(
      'Body=Welcome+to+Acme+Rewards%2C+Sam%21+Here+is+your+10%25+coupon.&MediaUrl=https%3A%2F%2Fcdn.example.com%2Fcoupons%2Fwelcome10.png',
    )

    expect(await delivery(event.guid)).toMatchObject({
      state: 'sent',
      provider: 'twilio',
      provider_message_id: body.message_id,
      identity_id: event.identityId,
      external_code: 'TSK_1222',
      attempts: 1,
    })
    expect(await env.IDENTITY_CACHE.get('phone:+12125550147', 'json')).toMatchObject({
      datahub_id: event.identityId,
      tenant_id: FIXTURE_TENANT,
    })
  })

  it('prefixes To and From with whatsapp: for CHANNEL WHATSAPP and caches the bare number', async () => {
    const t = twilioTenant()
    const event = outboundEvent('outbound-whatsapp', {
      patch: (e) => {
        e.impression.creativeContent = e.impression.creativeContent.replace(
          'FROM:sender_id:Wq3eR5tY7uI9oP1aS2dF4g',
          'FROM:+14155238886',
        )
      },
    })
    const res = await postTwilioMessage(envWith([t]), t, event)
    expect(await json(res)).toMatchObject({ status: 'OK', provider: 'twilio' })
    const [sent] = await twilioFake.requests(t.accountSid)
    expect(sent?.body.To).toEqual(['whatsapp:+447700900456'])
    expect(sent?.body.From).toEqual(['whatsapp:+14155238886'])
    expect(sent?.body.MediaUrl).toEqual(['https://cdn.example.com/receipts/order-88213.pdf'])
    expect(await env.IDENTITY_CACHE.get('phone:+447700900456', 'json')).toMatchObject({
      datahub_id: event.identityId,
    })
  })

  it('the fake refuses the WhatsApp fixture as written (an SCG sender id is no Twilio sender): 422 21212', async () => {
    const t = twilioTenant()
    const res = await postTwilioMessage(envWith([t]), t, outboundEvent('outbound-whatsapp'))
    expect(res.status).toBe(422)
    expect((await json(res)).error).toMatchObject({
      code: 'PROVIDER_REJECTED',
      provider: 'twilio',
      provider_code: '21212',
      provider_status: 400,
    })
  })

  it('sends through the Messaging Service when FROM is absent (no From), and with FROM sends both', async () => {
    const service = `MG${'0123456789abcdef'.repeat(2)}`
    const t = twilioTenant(FIXTURE_TENANT, { twilio_messaging_service_sid: service })
    const testEnv = envWith([t])
    expect((await postTwilioMessage(testEnv, t, withCreative('TO:+12125550147;Hello'))).status).toBe(200)
    expect(
      (await postTwilioMessage(testEnv, t, withCreative('TO:+12125550147;FROM:+18885550100;Hi'))).status,
    ).toBe(200)
    const [first, second] = (await twilioFake.requests(t.accountSid)).map((r) => r.body)
    expect(first).toEqual({
      To: ['+12125550147'],
      MessagingServiceSid: [service],
      Body: ['Hello'],
      StatusCallback: [withGuid(callback())],
    })
    expect(second).toMatchObject({ From: ['+18885550100'], MessagingServiceSid: [service] })
  })

  it('uses default_sender without FROM, and public_base_url for the StatusCallback', async () => {
    const t = twilioTenant(FIXTURE_TENANT, { public_base_url: 'https://hooks.example.org/ci360/' })
    await postTwilioMessage(envWith([t]), t, withCreative('TO:+12125550147;Hello'))
    const [sent] = await twilioFake.requests(t.accountSid)
    expect(sent?.body.From).toEqual(['+18885550199'])
    expect(sent?.body.StatusCallback).toEqual([
      withGuid(`https://hooks.example.org/ci360/v1/webhooks/twilio/${FIXTURE_TENANT}/status`),
    ])
  })

  it('sends up to 10 media URLs as repeated keys; 11 is INVALID_CREATIVE before any call', async () => {
    const t = twilioTenant()
    const testEnv = envWith([t])
    const urls = Array.from({ length: 11 }, (_, i) => `https://cdn.example.com/m/${i}.png`)
    const ten = await postTwilioMessage(
      testEnv,
      t,
      withCreative(`TO:+12125550147;MEDIA_URLS:${urls.slice(0, 10).join(',')};Ten`),
    )
    expect(ten.status).toBe(200)
    const eleven = await postTwilioMessage(
      testEnv,
      t,
      withCreative(`TO:+12125550147;MEDIA_URLS:${urls.join(' ')};11`),
    )
    expect(eleven.status).toBe(400)
    expect((await json(eleven)).error).toMatchObject({ code: 'INVALID_CREATIVE', field: 'MEDIA_URLS' })
    const sent = await twilioFake.requests(t.accountSid)
    expect(sent).toHaveLength(1)
    expect(sent[0]?.body.MediaUrl).toEqual(urls.slice(0, 10))
    expect(sent[0]?.raw.match(/(^|&)MediaUrl=/g)).toHaveLength(10)
  })

  it('DUPLICATE: a redelivered guid makes no second Twilio call', async () => {
    const t = twilioTenant()
    const testEnv = envWith([t])
    const event = outboundEvent('outbound-twilio')
    const first = await json(await postTwilioMessage(testEnv, t, event))
    const again = await postTwilioMessage(testEnv, t, event)
    expect(await json(again)).toEqual({
      status: 'DUPLICATE',
      guid: event.guid,
      state: 'sent',
      message_id: first.message_id,
    })
    expect(await twilioFake.requests(t.accountSid)).toHaveLength(1)
  })

  it('answers 500 CONFIG_INVALID naming the keys when the tenant has no Twilio credentials', async () => {
    const t = twilioTenant(FIXTURE_TENANT, { twilio_auth_token: '' })
    const event = outboundEvent('outbound-twilio')
    const res = await postTwilioMessage(envWith([t]), t, event)
    expect(res.status).toBe(500)
    const body = await json(res)
    expect(body.error.code).toBe('CONFIG_INVALID')
    expect(body.error.message).toContain('twilio_auth_token')
    expect(await delivery(event.guid)).toBeNull()
  })
})

describe('Twilio outbound: provider errors', () => {
  const rejected = [
    {
      label: '400 21211 (invalid To)',
      answer: twilioErrorBody(21211, 400, "The 'To' number is not valid."),
      code: '21211',
      http: 400,
    },
    {
      label: '400 21610 (unsubscribed)',
      answer: twilioErrorBody(21610, 400, 'Attempt to send to unsubscribed recipient'),
      code: '21610',
      http: 400,
    },
    {
      label: '401 20003 (scripted)',
      answer: twilioErrorBody(20003, 401, 'Authenticate'),
      code: '20003',
      http: 401,
    },
  ]
  for (const r of rejected) {
    it(`PROVIDER_REJECTED: ${r.label} → 422 with Twilio's code, stored dead`, async () => {
      const t = twilioTenant()
      await twilioFake.script(t.accountSid, [{ status: r.http, body: r.answer }])
      const event = outboundEvent('outbound-twilio')
      const res = await postTwilioMessage(envWith([t]), t, event)
      expect(res.status).toBe(422)
      expect((await json(res)).error).toMatchObject({
        code: 'PROVIDER_REJECTED',
        provider: 'twilio',
        provider_code: r.code,
        provider_status: r.http,
        guid: event.guid,
      })
      expect(await failedRequest(event.guid)).toMatchObject({
        kind: 'twilio',
        state: 'dead',
        http_status: r.http,
      })
      expect(await delivery(event.guid)).toMatchObject({ state: 'rejected', attempts: 1 })
    })
  }

  it('a wrong auth token is refused by the fake itself (401 20003) → 422', async () => {
    const t = twilioTenant(FIXTURE_TENANT, { twilio_auth_token: 'not-a-twilio-token' })
    const res = await postTwilioMessage(envWith([t]), t, outboundEvent('outbound-twilio'))
    expect(res.status).toBe(422)
    expect((await json(res)).error.provider_code).toBe('20003')
  })

  it('a TO the fake finds invalid → 422 21211, and the number is not echoed', async () => {
    const t = twilioTenant()
    const res = await postTwilioMessage(envWith([t]), t, withCreative('TO:2125550147;Hello'))
    const text = await res.text()
    expect(res.status).toBe(422)
    expect(JSON.parse(text).error.provider_code).toBe('21211')
    expect(text).not.toContain('2125550147')
  })

  const retryable = [
    {
      label: '429 20429 with Retry-After 120',
      b: {
        status: 429,
        body: twilioErrorBody(20429, 429, 'Too Many Requests'),
        headers: { 'retry-after': '120' },
      },
      http: 429,
      min: 120_000,
    },
    {
      label: '500',
      b: { status: 500, body: twilioErrorBody(20500, 500, 'Internal Server Error') },
      http: 500,
      min: 27_000,
    },
    { label: 'a hang past provider_timeout_ms', b: { hang: true, hangMs: 5000 }, http: null, min: 27_000 },
  ]
  for (const r of retryable) {
    it(`QUEUED: ${r.label} → 202, stored pending with the public origin for the retry`, async () => {
      const t = twilioTenant()
      await twilioFake.script(t.accountSid, [r.b])
      const event = outboundEvent('outbound-twilio')
      const started = Date.now()
      const res = await postTwilioMessage(envWith([t]), t, event)
      const body = await json(res)
      expect(res.status).toBe(202)
      expect(body).toMatchObject({ status: 'QUEUED', guid: event.guid })
      expect(Date.parse(body.retry_at) - started).toBeGreaterThanOrEqual(r.min)
      const row = await failedRequest(event.guid)
      expect(row).toMatchObject({ kind: 'twilio', state: 'pending', attempts: 1, http_status: r.http })
      expect(JSON.parse(row.meta)).toEqual({ origin: 'https://connector.example.com' })
      expect(await delivery(event.guid)).toMatchObject({ state: 'queued' })
    })
  }
})
