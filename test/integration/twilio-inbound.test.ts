import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { FIXTURE_TENANT, OTHER_TENANT } from '../support/constants'
import { ci360Fake } from '../support/fake-control'
import { outboundEvent } from '../support/fixtures'
import { rows } from '../support/rows'
import {
  inboundParams,
  postTwilioMessage,
  postTwilioWebhook,
  type TwilioTestTenant,
  twilioTenant,
} from '../support/twilio'
import { envWith, json } from '../support/worker'

const inboundPath = (tenant = FIXTURE_TENANT) => `/v1/webhooks/twilio/${tenant}/inbound`

/** A number of its own per test (the KV identity cache is shared by the tests of this file). */
let sequence = Math.floor(Math.random() * 5000)
const freshNumber = () => `+1212555${String(sequence++).padStart(4, '0')}`

/** Message `phone` through Twilio first, so the identity cache knows who replies. */
async function messageFirst(testEnv: Env, t: TwilioTestTenant, phone: string, channel = '') {
  const event = outboundEvent('outbound-twilio', {
    patch: (e) => {
      e.externalTenantId = t.id
      e.impression.creativeContent = `TO:${phone};FROM:+18885550100;${channel}Hello`
    },
  })
  expect((await json(await postTwilioMessage(testEnv, t, event))).status).toBe('OK')
  return event
}

async function expectTwiml(res: Response, outcome: string) {
  expect(res.status).toBe(200)
  expect(res.headers.get('content-type')).toMatch(/^text\/xml/)
  expect(res.headers.get('x-connector-status')).toBe(outcome)
  expect(await res.text()).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?><Response\/>$/)
}

describe('Twilio inbound messages', () => {
  it('injects twilio_mo_event with the cached identity of the sender and answers empty TwiML', async () => {
    const t = twilioTenant()
    const testEnv = envWith([t])
    const phone = freshNumber()
    const sent = await messageFirst(testEnv, t, phone)
    const params = inboundParams(t, phone, 'Yes, see you then!')
    const res = await postTwilioWebhook(testEnv, inboundPath(), params, t.authToken)
    await expectTwiml(res, 'OK')
    const injected = await ci360Fake.requests(t.ci360Key)
    expect(injected).toHaveLength(1)
    expect(injected[0]?.headers.client_id).toBe(FIXTURE_TENANT)
    expect(injected[0]?.body).toEqual({
      eventName: 'Twilio Inbound',
      datahub_id: sent.identityId,
      message_body: 'Yes, see you then!',
      connector_event_id: `twilio:inbound:${params.MessageSid}`,
    })
  })

  it('finds WhatsApp senders (whatsapp:+…) under their bare number, upper-cases with twilio_mo_body_uppercase', async () => {
    const t = twilioTenant(FIXTURE_TENANT, { twilio_mo_body_uppercase: 'true' })
    const testEnv = envWith([t])
    const phone = freshNumber()
    const sent = await messageFirst(testEnv, t, phone, 'CHANNEL:WHATSAPP;')
    const params = inboundParams(t, `whatsapp:${phone}`, 'Stop ça')
    const res = await postTwilioWebhook(testEnv, inboundPath(), params, t.authToken)
    await expectTwiml(res, 'OK')
    expect((await ci360Fake.requests(t.ci360Key))[0]?.body).toEqual({
      eventName: 'Twilio Inbound',
      datahub_id: sent.identityId,
      message_body: 'STOP ÇA',
      connector_event_id: `twilio:inbound:${params.MessageSid}`,
    })
  })

  it('sends media URLs as media_urls, joined with "," and no spaces', async () => {
    const t = twilioTenant()
    const testEnv = envWith([t])
    const phone = freshNumber()
    await messageFirst(testEnv, t, phone)
    const media = [
      `https://api.twilio.com/2010-04-01/Accounts/${t.accountSid}/Messages/MM1/Media/ME1`,
      `https://api.twilio.com/2010-04-01/Accounts/${t.accountSid}/Messages/MM1/Media/ME2`,
    ]
    const res = await postTwilioWebhook(
      testEnv,
      inboundPath(),
      inboundParams(t, phone, '', media),
      t.authToken,
    )
    await expectTwiml(res, 'OK')
    const [injected] = await ci360Fake.requests(t.ci360Key)
    expect(injected?.body.message_body).toBe('')
    expect(injected?.body.media_urls).toBe(media.join(','))
  })

  it('with identity_field, sends the sender number in that attribute and needs no cache entry', async () => {
    const t = twilioTenant(FIXTURE_TENANT, { identity_field: 'subject_id' })
    const testEnv = envWith([t])
    const phone = freshNumber()
    const params = inboundParams(t, `whatsapp:${phone}`, 'Hi')
    const res = await postTwilioWebhook(testEnv, inboundPath(), params, t.authToken)
    await expectTwiml(res, 'OK')
    expect((await ci360Fake.requests(t.ci360Key))[0]?.body).toEqual({
      eventName: 'Twilio Inbound',
      subject_id: phone,
      message_body: 'Hi',
      connector_event_id: `twilio:inbound:${params.MessageSid}`,
    })
  })

  it('one tenant rule for every provider: a sender last messaged by another tenant is IGNORED even with identity_field', async () => {
    const t = twilioTenant(FIXTURE_TENANT, { identity_field: 'subject_id' })
    const other = twilioTenant(OTHER_TENANT)
    const phone = freshNumber()
    await messageFirst(envWith([other]), other, phone)
    await expectTwiml(
      await postTwilioWebhook(envWith([t, other]), inboundPath(), inboundParams(t, phone, 'Hi'), t.authToken),
      'IGNORED',
    )
    expect(await ci360Fake.requests(t.ci360Key)).toHaveLength(0)
    expect(await ci360Fake.requests(other.ci360Key)).toHaveLength(0)
  })

  it('IGNORED (still TwiML) without a cached identity, with another tenant’s identity, or without twilio_mo_event', async () => {
    const t = twilioTenant()
    const other = twilioTenant(OTHER_TENANT)
    const unmapped = twilioTenant(FIXTURE_TENANT, { twilio_mo_event: '' })
    const otherPhone = freshNumber()
    await messageFirst(envWith([other]), other, otherPhone)
    expect(await env.IDENTITY_CACHE.get(`phone:${otherPhone}`, 'json')).toMatchObject({
      tenant_id: OTHER_TENANT,
    })

    await expectTwiml(
      await postTwilioWebhook(
        envWith([t]),
        inboundPath(),
        inboundParams(t, freshNumber(), 'Hi'),
        t.authToken,
      ),
      'IGNORED',
    )
    await expectTwiml(
      await postTwilioWebhook(envWith([t]), inboundPath(), inboundParams(t, otherPhone, 'Hi'), t.authToken),
      'IGNORED',
    )
    await expectTwiml(
      await postTwilioWebhook(
        envWith([unmapped]),
        inboundPath(),
        inboundParams(unmapped, otherPhone, 'Hi'),
        unmapped.authToken,
      ),
      'IGNORED',
    )
    for (const tenant of [t, other, unmapped])
      expect(await ci360Fake.requests(tenant.ci360Key)).toHaveLength(0)
  })

  it('DUPLICATE: the same MessageSid twice injects once', async () => {
    const t = twilioTenant()
    const testEnv = envWith([t])
    const phone = freshNumber()
    await messageFirst(testEnv, t, phone)
    const params = inboundParams(t, phone, 'Once')
    await expectTwiml(await postTwilioWebhook(testEnv, inboundPath(), params, t.authToken), 'OK')
    await expectTwiml(await postTwilioWebhook(testEnv, inboundPath(), params, t.authToken), 'DUPLICATE')
    expect(await ci360Fake.requests(t.ci360Key)).toHaveLength(1)
  })

  it('QUEUED: CI360 down → stored as a ci360_event failed request, still TwiML 200', async () => {
    const t = twilioTenant()
    const testEnv = envWith([t])
    const phone = freshNumber()
    const sent = await messageFirst(testEnv, t, phone)
    await ci360Fake.script(t.ci360Key, [{ status: 500, body: 'oops' }])
    const params = inboundParams(t, phone, 'Later')
    await expectTwiml(await postTwilioWebhook(testEnv, inboundPath(), params, t.authToken), 'QUEUED')
    const row = await rows.failedRequest(`twilio:inbound:${params.MessageSid}`, FIXTURE_TENANT)
    expect(row).toMatchObject({ kind: 'ci360_event', state: 'pending', http_status: 500 })
    expect(JSON.parse(row.event_body)).toEqual({
      eventName: 'Twilio Inbound',
      datahub_id: sent.identityId,
      message_body: 'Later',
      connector_event_id: `twilio:inbound:${params.MessageSid}`,
    })
  })

  it('403 JSON error for a bad signature; nothing injected', async () => {
    const t = twilioTenant(FIXTURE_TENANT, { identity_field: 'subject_id' })
    const res = await postTwilioWebhook(
      envWith([t]),
      inboundPath(),
      inboundParams(t, freshNumber(), 'Hi'),
      'twilio-wrong',
    )
    expect(res.status).toBe(403)
    expect(res.headers.get('content-type')).toMatch(/^application\/json/)
    expect((await json(res)).error.code).toBe('FORBIDDEN')
    expect(await ci360Fake.requests(t.ci360Key)).toHaveLength(0)
  })
})
