import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { appWith } from '../support/app'
import { brokenD1 } from '../support/broken'
import { FIXTURE_TENANT, OTHER_TENANT } from '../support/constants'
import { ci360Fake, twilioFake } from '../support/fake-control'
import { rows } from '../support/rows'
import {
  formBody,
  ORIGIN,
  type Params,
  postTwilioWebhook,
  sendThroughTwilio,
  sign,
  statusParams,
  twilioTenant,
} from '../support/twilio'
import { envWith, json } from '../support/worker'

const statusPath = (tenant = FIXTURE_TENANT) => `/v1/webhooks/twilio/${tenant}/status`
const delivery = (guid: string, tenant = FIXTURE_TENANT) => rows.delivery(guid, tenant)

describe('Twilio status callbacks: the round trip', () => {
  it('CI360 event → Twilio → signed status callback → CI360 receives twilio_response_event_delivered', async () => {
    const t = twilioTenant()
    const testEnv = envWith([t])
    const { event, sid } = await sendThroughTwilio(testEnv, t)

    // Twilio calls back the URL we gave it, signing exactly that URL.
    const [sent] = await twilioFake.requests(t.accountSid)
    const callbackUrl = new URL(sent?.body.StatusCallback[0])
    expect(callbackUrl.origin).toBe(ORIGIN)
    const res = await postTwilioWebhook(
      testEnv,
      callbackUrl.pathname,
      statusParams(t, sid, 'delivered'),
      t.authToken,
    )

    expect(res.status).toBe(200)
    expect(await json(res)).toEqual({
      status: 'OK',
      message_sid: sid,
      message_status: 'delivered',
      guid: event.guid,
      event_name: 'Twilio Delivered',
    })
    const injected = await ci360Fake.requests(t.ci360Key)
    expect(injected).toHaveLength(1)
    expect(injected[0]?.headers.client_id).toBe(FIXTURE_TENANT) // the fake verified our JWT
    expect(injected[0]?.body).toEqual({
      eventName: 'Twilio Delivered',
      datahub_id: event.identityId,
      externalCode: 'TSK_1222',
      responseTrackingCode: 'b7f1d3a9-0e6c-4b28-9d5a-c3e8f0b2a716',
      connector_event_id: `twilio:${sid}:delivered`,
    })
    const row = await delivery(event.guid)
    expect(row).toMatchObject({ state: 'sent', provider_status: 'delivered' })
    expect(JSON.parse(row.history).map((h: any) => h.state)).toEqual(['sending', 'sent', 'delivered'])
  })

  it('DUPLICATE: the same (MessageSid, MessageStatus) again injects nothing more', async () => {
    const t = twilioTenant()
    const testEnv = envWith([t])
    const { sid } = await sendThroughTwilio(testEnv, t)
    const params = statusParams(t, sid, 'delivered')
    expect((await json(await postTwilioWebhook(testEnv, statusPath(), params, t.authToken))).status).toBe(
      'OK',
    )
    const again = await postTwilioWebhook(testEnv, statusPath(), params, t.authToken)
    expect(again.status).toBe(200)
    expect(await json(again)).toEqual({ status: 'DUPLICATE', message_sid: sid, message_status: 'delivered' })
    expect(await ci360Fake.requests(t.ci360Key)).toHaveLength(1)
  })

  it('IGNORED: a status without a mapping is recorded in the history but not sent to CI360', async () => {
    const t = twilioTenant()
    const testEnv = envWith([t])
    const { event, sid } = await sendThroughTwilio(testEnv, t)
    const res = await postTwilioWebhook(testEnv, statusPath(), statusParams(t, sid, 'sent'), t.authToken)
    expect(res.status).toBe(200)
    expect(await json(res)).toMatchObject({
      status: 'IGNORED',
      reason: 'no twilio_response_event_sent mapping',
    })
    expect(await ci360Fake.requests(t.ci360Key)).toHaveLength(0)
    expect(await delivery(event.guid)).toMatchObject({ provider_status: 'sent' })
  })

  it('adds message_id, status and error_code with ci360_include_status_details', async () => {
    const t = twilioTenant(FIXTURE_TENANT, { ci360_include_status_details: 'true' })
    const testEnv = envWith([t])
    const { event, sid } = await sendThroughTwilio(testEnv, t)
    const params = statusParams(t, sid, 'failed', { ErrorCode: '30003' })
    expect((await json(await postTwilioWebhook(testEnv, statusPath(), params, t.authToken))).status).toBe(
      'OK',
    )
    const [injected] = await ci360Fake.requests(t.ci360Key)
    expect(injected?.body).toEqual({
      eventName: 'Twilio Failed',
      datahub_id: event.identityId,
      externalCode: 'TSK_1222',
      responseTrackingCode: 'b7f1d3a9-0e6c-4b28-9d5a-c3e8f0b2a716',
      message_id: sid,
      status: 'failed',
      error_code: '30003',
      connector_event_id: `twilio:${sid}:failed`,
    })
    const history = JSON.parse((await delivery(event.guid)).history)
    expect(history.at(-1)).toMatchObject({ state: 'failed', detail: 'error_code 30003' })
  })

  it('a mapping written in upper case (twilio_response_event_DELIVERED) also applies', async () => {
    const t = twilioTenant(FIXTURE_TENANT, {
      twilio_response_event_delivered: '',
      twilio_response_event_DELIVERED: 'Delivered Upper',
    })
    const testEnv = envWith([t])
    const { sid } = await sendThroughTwilio(testEnv, t)
    await postTwilioWebhook(testEnv, statusPath(), statusParams(t, sid, 'delivered'), t.authToken)
    expect((await ci360Fake.requests(t.ci360Key))[0]?.body.eventName).toBe('Delivered Upper')
  })

  it('IGNORED: an unknown MessageSid, or one of another tenant, injects nothing', async () => {
    const t = twilioTenant()
    const other = twilioTenant(OTHER_TENANT)
    const testEnv = envWith([t, other])
    const { sid: otherSid } = await sendThroughTwilio(testEnv, other)
    for (const sid of [`SM${'0'.repeat(32)}`, otherSid]) {
      const res = await postTwilioWebhook(
        testEnv,
        statusPath(),
        statusParams(t, sid, 'delivered'),
        t.authToken,
      )
      expect(res.status).toBe(200)
      expect(await json(res)).toMatchObject({
        status: 'IGNORED',
        reason: 'no delivery record for this MessageSid',
      })
    }
    expect(await ci360Fake.requests(t.ci360Key)).toHaveLength(0)
    expect(await ci360Fake.requests(other.ci360Key)).toHaveLength(0)
  })

  it('QUEUED: CI360 down → stored as a ci360_event failed request, answered 200', async () => {
    const t = twilioTenant()
    const testEnv = envWith([t])
    const { event, sid } = await sendThroughTwilio(testEnv, t)
    await ci360Fake.script(t.ci360Key, [{ status: 503, body: 'down' }])
    const res = await postTwilioWebhook(testEnv, statusPath(), statusParams(t, sid, 'delivered'), t.authToken)
    expect(res.status).toBe(200)
    expect(await json(res)).toMatchObject({ status: 'QUEUED', retry_at: expect.any(String) })
    const row = await rows.failedRequest(`twilio:${sid}:delivered`, FIXTURE_TENANT)
    expect(row).toMatchObject({ kind: 'ci360_event', state: 'pending', http_status: 503 })
    expect(JSON.parse(row.event_body)).toEqual({
      eventName: 'Twilio Delivered',
      datahub_id: event.identityId,
      externalCode: 'TSK_1222',
      responseTrackingCode: 'b7f1d3a9-0e6c-4b28-9d5a-c3e8f0b2a716',
      connector_event_id: `twilio:${sid}:delivered`,
    })
  })
})

describe('Twilio status callbacks: storage failures', () => {
  const post = (app: ReturnType<typeof appWith>['app'], params: Params, token: string) =>
    app.request(`${ORIGIN}${statusPath()}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': sign(token, `${ORIGIN}${statusPath()}`, params),
      },
      body: formBody(params),
    })

  it('503 STORAGE_UNAVAILABLE when D1 is down', async () => {
    const t = twilioTenant()
    const res = await post(
      appWith(envWith([t]), { db: brokenD1() }).app,
      statusParams(t, `SM${'2'.repeat(32)}`, 'delivered'),
      t.authToken,
    )
    expect(res.status).toBe(503)
    expect((await json(res)).error.code).toBe('STORAGE_UNAVAILABLE')
  })

  it('releases the dedupe key when the status cannot be recorded, so Twilio’s retry is handled', async () => {
    const t = twilioTenant()
    const testEnv = envWith([t])
    const { event, sid } = await sendThroughTwilio(testEnv, t)
    const flaky = new Proxy(env.DB, {
      get(target, prop, receiver) {
        if (prop === 'batch')
          return () => Promise.reject(new Error('D1_ERROR: simulated outage during batch'))
        const v = Reflect.get(target, prop, receiver)
        return typeof v === 'function' ? v.bind(target) : v
      },
    })
    const params = statusParams(t, sid, 'delivered')
    const first = await post(appWith(testEnv, { db: flaky as D1Database }).app, params, t.authToken)
    expect(first.status).toBe(503)
    expect(await ci360Fake.requests(t.ci360Key)).toHaveLength(0)

    const retry = await post(appWith(testEnv).app, params, t.authToken)
    expect(await json(retry)).toMatchObject({ status: 'OK', guid: event.guid })
    expect(await ci360Fake.requests(t.ci360Key)).toHaveLength(1)
  })
})
