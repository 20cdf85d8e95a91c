import { env } from 'cloudflare:workers'
import { beforeEach, describe, expect, it } from 'vitest'
import { claimLeaseMs } from '../../src/outbound/pipeline'
import { runScheduled } from '../../src/scheduled'
import { clocked, createClock, deliveryRow, wipeTables } from '../support/clock'
import { genesysFake, scgFake } from '../support/fake-control'
import { genesysTenant, hubSignature256, openMessage, postOpenMessaging } from '../support/genesys'
import { inboundParams, postTwilioWebhook, statusParams, twilioTenant } from '../support/twilio'
import { call, envWith, json } from '../support/worker'

beforeEach(wipeTables)

/** The operator API's view of the tenant's stored Genesys deliveries (newest first), with details. */
async function genesysEvents(testEnv: Env, t: { id: string; adminKey: string }) {
  const admin = async (path: string) =>
    json(await call(testEnv, `/v1/tenants/${t.id}${path}`, { headers: { 'x-api-key': t.adminKey } }))
  const list = await admin('/events?source=genesys')
  return Promise.all(list.items.map(async (i: any) => (await admin(`/events/${i.id}`)).item))
}

const receiptsOf = async (key: string) =>
  (await genesysFake.requests(key)).filter((r) => r.path.endsWith('/inbound/open/receipt'))

describe('Genesys deliveries in the operator event viewer', () => {
  it('a sent message is stored as source genesys, injected, with the provider call tracked', async () => {
    const t = genesysTenant()
    const testEnv = envWith([t])
    const msg = openMessage()
    const sent = await json(await postOpenMessaging(testEnv, t, msg))
    expect(sent).toMatchObject({ status: 'OK', id: msg.id })
    expect(await json(await postOpenMessaging(testEnv, t, msg))).toMatchObject({ status: 'DUPLICATE' })
    const ignored = openMessage({ direction: 'Inbound' })
    expect(await json(await postOpenMessaging(testEnv, t, ignored))).toMatchObject({ status: 'IGNORED' })

    const [third, second, first] = await genesysEvents(testEnv, t)
    expect(first).toMatchObject({
      source: 'genesys',
      event_key: msg.id,
      type: 'open_messaging',
      state: 'injected',
      message_id: sent.message_id,
      body: JSON.stringify(msg),
    })
    expect(first.tracking).toEqual([expect.objectContaining({ target: 'scg', outcome: 'OK' })])
    expect(second).toMatchObject({ event_key: msg.id, state: 'duplicate' })
    expect(third).toMatchObject({ event_key: ignored.id, state: 'ignored' })
    // The search by our delivery's guid finds the stored webhook delivery.
    const found = await call(testEnv, `/v1/tenants/${t.id}/events?q=genesys:${msg.id}`, {
      headers: { 'x-api-key': t.adminKey },
    })
    expect((await json(found)).items.map((i: any) => i.id)).toEqual([first.id])
  })

  it('queued, then the cron sends it: the stored event follows (queued → injected)', async () => {
    const t = genesysTenant()
    const testEnv = envWith([t])
    const clock = createClock()
    const { app, deps } = clocked(testEnv, clock)
    await scgFake.script(t.scgToken, [{ status: 503, body: { error_code: 'SCG_ERROR_5030' } }])
    const msg = openMessage()
    const raw = JSON.stringify(msg)
    const res = await app.request(`https://connector.example.com/v1/genesys/${t.id}/open-messaging`, {
      method: 'POST',
      headers: { 'x-hub-signature-256': hubSignature256(t.outboundSecret, raw) },
      body: raw,
    })
    expect(await json(res)).toMatchObject({ status: 'QUEUED' })
    expect((await genesysEvents(testEnv, t))[0]).toMatchObject({ state: 'queued' })
    clock.advance(3_600_000)
    expect(await runScheduled(deps, clock.now())).toMatchObject({ states: { done: 1 } })
    const [event] = await genesysEvents(testEnv, t)
    expect(event.state).toBe('injected')
    expect(event.tracking.map((e: any) => [e.target, e.http_status, e.outcome])).toEqual([
      ['scg', 503, 'ERROR'],
      ['scg', null, 'OK'],
    ])
  })

  it('a rejection is stored dead, with the Failed receipt to Genesys tracked', async () => {
    const t = genesysTenant()
    const testEnv = envWith([t])
    await scgFake.script(t.scgToken, [{ status: 400, body: { error_code: 'SCG_ERROR_40025' } }])
    expect((await postOpenMessaging(testEnv, t, openMessage())).status).toBe(422)
    const [event] = await genesysEvents(testEnv, t)
    expect(event.state).toBe('dead')
    expect(event.tracking.map((e: any) => [e.target, e.outcome])).toEqual([
      ['scg', 'ERROR'],
      ['genesys', 'OK'],
    ])
  })
})

describe('replaying a customer reply that Genesys missed', () => {
  it('posts it to Genesys and settles its queued genesys_event, so the cron does not post it twice', async () => {
    const tw = twilioTenant()
    const t = { ...genesysTenant({ ...tw.secret }, { provider: 'twilio', numbers: ['+18885550100'] }), tw }
    const testEnv = envWith([t])
    await genesysFake.script(t.genesysKey, [{ status: 503, body: { message: 'down' } }])
    const params = inboundParams(tw, '+14155550123', 'Are you there?')
    const res = await postTwilioWebhook(testEnv, `/v1/webhooks/twilio/${t.id}/inbound`, params, tw.authToken)
    expect(res.headers.get('x-connector-status')).toBe('QUEUED')
    const admin = (path: string, method = 'GET') =>
      call(testEnv, `/v1/tenants/${t.id}${path}`, { method, headers: { 'x-api-key': t.adminKey } })
    const [stored] = (await json(await admin('/events?source=twilio'))).items
    expect(await json(await admin(`/events/${stored.id}/replay`, 'POST'))).toMatchObject({ status: 'OK' })
    const row = await env.DB.prepare(
      "SELECT state FROM failed_requests WHERE kind = 'genesys_event'",
    ).first<any>()
    expect(row.state).toBe('done')
    const posted = (await genesysFake.requests(t.genesysKey)).filter((r) =>
      r.path.endsWith('/inbound/open/message'),
    )
    expect(posted.map((r) => r.body.text)).toEqual(['Are you there?', 'Are you there?'])
  })
})

describe('Genesys receipts follow the status order', () => {
  it('after delivered, neither a late status nor a second final one sends another receipt', async () => {
    const tw = twilioTenant()
    const t = { ...genesysTenant({ ...tw.secret }, { provider: 'twilio' }), authToken: tw.authToken }
    const testEnv = envWith([t])
    const sent = await json(await postOpenMessaging(testEnv, t, openMessage()))
    const status = (s: string) =>
      postTwilioWebhook(
        testEnv,
        `/v1/webhooks/twilio/${t.id}/status`,
        statusParams(tw, sent.message_id, s),
        t.authToken,
      )
    expect(await json(await status('delivered'))).toMatchObject({ status: 'OK' })
    expect(await json(await status('sent'))).toMatchObject({ status: 'IGNORED' })
    expect(await json(await status('undelivered'))).toMatchObject({ status: 'IGNORED' })
    expect((await receiptsOf(t.genesysKey)).map((r) => r.body.status)).toEqual(['Delivered'])
  })
})

describe('a Genesys send the Worker never finished', () => {
  it('the cron marks it uncertain, looks it up, and sends the stored Genesys message once', async () => {
    const t = genesysTenant()
    const clock = createClock()
    const { deps } = clocked(envWith([t]), clock)
    const tenant = deps.config.tenant(t.id)
    if (!tenant) throw new Error('tenant missing')
    const msg = openMessage({ text: 'Your parcel is on its way' })
    const claim = await deps.stores.deliveries.claim(
      {
        tenantId: t.id,
        guid: `genesys:${msg.id}`,
        provider: 'scg',
        identityId: msg.id,
        externalCode: 'genesys',
        recipientMasked: null,
        generatedTimestamp: clock.now(),
        state: 'sending',
        now: clock.now(),
        eventBody: JSON.stringify(msg),
        genesys: { id: msg.id, to: '+14155550123' },
      },
      claimLeaseMs(tenant),
    )
    expect(claim.claimed).toBe(true)
    clock.advance(claimLeaseMs(tenant) + 1000)
    expect(await runScheduled(deps, clock.now())).toMatchObject({ uncertain: 1, states: { done: 1 } })
    const sms = await scgFake.requests(t.scgToken)
    expect(sms.map((r) => [r.body.to, r.body.body])).toEqual([
      [['+14155550123'], 'Your parcel is on its way'],
    ])
    expect(await deliveryRow(`genesys:${msg.id}`)).toMatchObject({ state: 'sent', source: 'genesys' })
  })
})
