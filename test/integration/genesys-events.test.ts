import { beforeEach, describe, expect, it } from 'vitest'
import { claimLeaseMs } from '../../src/outbound/pipeline'
import { genesysFake, scgFake } from '../support/fake-control'
import { genesysTenant, openMessage, twilioGenesysTenant } from '../support/genesys'
import { createHarness, type Harness } from '../support/harness'
import { rows, wipeTables } from '../support/rows'
import { inboundParams, statusParams } from '../support/twilio'
import { json, type TestTenant } from '../support/worker'

beforeEach(wipeTables)

/** The operator API's view of the tenant's stored Genesys deliveries (newest first), with details. */
async function genesysEvents(h: Harness, t: TestTenant) {
  const admin = async (path: string) => json(await h.post.admin(t, path))
  const list = await admin('/events?source=genesys')
  return Promise.all(list.items.map(async (i: any) => (await admin(`/events/${i.id}`)).item))
}

const receiptsOf = async (key: string) =>
  (await genesysFake.requests(key)).filter((r) => r.path.endsWith('/inbound/open/receipt'))

describe('Genesys deliveries in the operator event viewer', () => {
  it('a sent message is stored as source genesys, injected, with the provider call tracked', async () => {
    const t = genesysTenant()
    const h = createHarness([t])
    const msg = openMessage()
    const sent = await json(await h.post.openMessaging(t, msg))
    expect(sent).toMatchObject({ status: 'OK', id: msg.id })
    expect(await json(await h.post.openMessaging(t, msg))).toMatchObject({ status: 'DUPLICATE' })
    const ignored = openMessage({ direction: 'Inbound' })
    expect(await json(await h.post.openMessaging(t, ignored))).toMatchObject({ status: 'IGNORED' })

    const [third, second, first] = await genesysEvents(h, t)
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
    const found = await h.post.admin(t, `/events?q=genesys:${msg.id}`)
    expect((await json(found)).items.map((i: any) => i.id)).toEqual([first.id])
  })

  it('queued, then the cron sends it: the stored event follows (queued → injected)', async () => {
    const t = genesysTenant()
    const h = createHarness([t], { via: 'app' })
    await scgFake.script(t.scgToken, [{ status: 503, body: { error_code: 'SCG_ERROR_5030' } }])
    const res = await h.post.openMessaging(t, openMessage())
    expect(await json(res)).toMatchObject({ status: 'QUEUED' })
    expect((await genesysEvents(h, t))[0]).toMatchObject({ state: 'queued' })
    h.clock.advance(3_600_000)
    expect(await h.runCron()).toMatchObject({ states: { done: 1 } })
    const [event] = await genesysEvents(h, t)
    expect(event.state).toBe('injected')
    expect(event.tracking.map((e: any) => [e.target, e.http_status, e.outcome])).toEqual([
      ['scg', 503, 'ERROR'],
      ['scg', null, 'OK'],
    ])
  })

  it('a rejection is stored dead, with the Failed receipt to Genesys tracked', async () => {
    const t = genesysTenant()
    const h = createHarness([t])
    await scgFake.script(t.scgToken, [{ status: 400, body: { error_code: 'SCG_ERROR_40025' } }])
    expect((await h.post.openMessaging(t, openMessage())).status).toBe(422)
    const [event] = await genesysEvents(h, t)
    expect(event.state).toBe('dead')
    expect(event.tracking.map((e: any) => [e.target, e.outcome])).toEqual([
      ['scg', 'ERROR'],
      ['genesys', 'OK'],
    ])
  })
})

describe('replaying a customer reply that Genesys missed', () => {
  it('posts it to Genesys and settles its queued genesys_event, so the cron does not post it twice', async () => {
    const t = twilioGenesysTenant({ numbers: ['+18885550100'] })
    const h = createHarness([t])
    await genesysFake.script(t.genesysKey, [{ status: 503, body: { message: 'down' } }])
    const params = inboundParams(t, '+14155550123', 'Are you there?')
    const res = await h.post.twilioWebhook(`/v1/webhooks/twilio/${t.id}/inbound`, params, t.authToken)
    expect(res.headers.get('x-connector-status')).toBe('QUEUED')
    const admin = (path: string, method = 'GET') => h.post.admin(t, path, { method })
    const [stored] = (await json(await admin('/events?source=twilio'))).items
    expect(await json(await admin(`/events/${stored.id}/replay`, 'POST'))).toMatchObject({ status: 'OK' })
    const row = await rows.failedRequestOfKind('genesys_event')
    expect(row.state).toBe('done')
    const posted = (await genesysFake.requests(t.genesysKey)).filter((r) =>
      r.path.endsWith('/inbound/open/message'),
    )
    expect(posted.map((r) => r.body.text)).toEqual(['Are you there?', 'Are you there?'])
  })
})

describe('Genesys receipts follow the status order', () => {
  it('after delivered, neither a late status nor a second final one sends another receipt', async () => {
    const t = twilioGenesysTenant()
    const h = createHarness([t])
    const sent = await json(await h.post.openMessaging(t, openMessage()))
    const status = (s: string) =>
      h.post.twilioWebhook(
        `/v1/webhooks/twilio/${t.id}/status`,
        statusParams(t, sent.message_id, s),
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
    const h = createHarness([t])
    const { clock, deps } = h
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
    expect(await h.runCron()).toMatchObject({ uncertain: 1, states: { done: 1 } })
    const sms = await scgFake.requests(t.scgToken)
    expect(sms.map((r) => [r.body.to, r.body.body])).toEqual([
      [['+14155550123'], 'Your parcel is on its way'],
    ])
    expect(await rows.delivery(`genesys:${msg.id}`)).toMatchObject({ state: 'sent', source: 'genesys' })
  })
})
