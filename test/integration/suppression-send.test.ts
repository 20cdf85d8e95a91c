import { env } from 'cloudflare:workers'
import { beforeEach, describe, expect, it } from 'vitest'
import type { SuppressionEntry } from '../../src/storage/suppressions'
import { unavailable } from '../support/admin'
import { FIXTURE_TENANT, OTHER_TENANT } from '../support/constants'
import { ci360Fake, genesysFake, scgFake, twilioFake } from '../support/fake-control'
import { outboundEvent } from '../support/fixtures'
import { genesysTenant, multicloudMessage, multicloudTenant, openMessage } from '../support/genesys'
import { createHarness, type Harness } from '../support/harness'
import { rows, wipeTables } from '../support/rows'
import { twilioTenant } from '../support/twilio'
import { json, testTenant } from '../support/worker'

/** The numbers of the fixtures: `outbound-sms-oneline` (SCG), `outbound-twilio`, `outbound-sms` and Genesys. */
const SCG_TO = '+16505550142'
const TWILIO_TO = '+12125550147'
const TWILIO_FROM = '+18885550100'
const SMS_TO = '+14155550123'
const EVENT = 'Suppressed SMS'

const optedOut = (h: Harness, tenantId: string, e: Partial<SuppressionEntry> & { address: string }) =>
  h.deps.stores.suppressions.add(
    tenantId,
    { channel: 'sms', source: 'keyword', keyword: 'STOP', ...e },
    'keyword',
    h.clock.now(),
  )

const suppressedEvents = async (ci360Key: string) =>
  (await ci360Fake.requests(ci360Key)).map((r) => r.body).filter((b) => b.eventName === EVENT)

const receipts = async (key: string) =>
  (await genesysFake.requests(key)).filter((r) => r.path.endsWith('/inbound/open/receipt')).map((r) => r.body)

beforeEach(async () => {
  await wipeTables()
  await env.DB.batch([
    env.DB.prepare('DELETE FROM suppressions'),
    env.DB.prepare('DELETE FROM suppression_changes'),
  ])
})

describe('CI360 routes: a number on the opt-out list is not sent to', () => {
  it('SCG: 200 SUPPRESSED, no call at SCG, delivery suppressed, suppressed_event to CI360; a redelivery is a DUPLICATE', async () => {
    const t = testTenant(FIXTURE_TENANT, { suppressed_event: EVENT })
    const h = createHarness([t], { via: 'app' })
    await optedOut(h, t.id, { address: SCG_TO })
    const event = outboundEvent('outbound-sms-oneline', {
      patch: (e) => (e.responseTrackingCode = 'rtc-0042'),
    })

    const res = await h.post.scg(t, event)

    expect(res.status).toBe(200)
    expect(await json(res)).toEqual({ status: 'SUPPRESSED', guid: event.guid, reason: 'OPTED_OUT' })
    expect(await scgFake.requests(t.scgToken)).toHaveLength(0)
    expect(await rows.delivery(event.guid, t.id)).toMatchObject({
      state: 'suppressed',
      attempts: 0,
      last_error: 'OPTED_OUT',
      event_body: null,
    })
    expect(await suppressedEvents(t.ci360Key)).toEqual([
      {
        eventName: EVENT,
        datahub_id: event.identityId,
        responseTrackingCode: 'rtc-0042',
        channel: 'sms',
        reason: 'OPTED_OUT',
        provider: 'scg',
        connector_event_id: `suppressed:${event.guid}`,
      },
    ])

    const again = await h.post.scg(t, event)
    expect(again.status).toBe(200)
    expect(await json(again)).toEqual({ status: 'DUPLICATE', guid: event.guid, state: 'suppressed' })
    expect(await scgFake.requests(t.scgToken)).toHaveLength(0)
    expect(await suppressedEvents(t.ci360Key)).toHaveLength(1)
  })

  it('D1 failing after the check: 503 and the claim released, so the redelivery is suppressed', async () => {
    const t = testTenant(FIXTURE_TENANT)
    let batches = 0
    let failAt = 0
    const flaky = new Proxy(env.DB, {
      get(target, prop, receiver) {
        if (prop === 'batch') {
          // The claim's batch (with the check) goes through; the update to `suppressed` fails once.
          return (statements: D1PreparedStatement[]) =>
            ++batches === failAt
              ? Promise.reject(new Error('D1_ERROR: simulated outage during batch'))
              : target.batch(statements)
        }
        const v = Reflect.get(target, prop, receiver)
        return typeof v === 'function' ? v.bind(target) : v
      },
    })
    const h = createHarness([t], { via: 'app', runtime: { db: flaky as D1Database } })
    await optedOut(h, t.id, { address: SCG_TO })
    failAt = batches + 2
    const event = outboundEvent('outbound-sms-oneline')

    const first = await h.post.scg(t, event)
    expect(batches).toBe(failAt)
    expect(first.status).toBe(503)
    expect(await json(first)).toMatchObject({ error: { code: 'STORAGE_UNAVAILABLE' } })
    expect(await rows.delivery(event.guid, t.id)).toBeNull()

    const again = await h.post.scg(t, event)
    expect(await json(again)).toEqual({ status: 'SUPPRESSED', guid: event.guid, reason: 'OPTED_OUT' })
    expect(await scgFake.requests(t.scgToken)).toHaveLength(0)
  })

  it('without suppressed_event, the send is suppressed and nothing goes to CI360', async () => {
    const t = testTenant(FIXTURE_TENANT)
    const h = createHarness([t], { via: 'app' })
    await optedOut(h, t.id, { address: SCG_TO })
    const event = outboundEvent('outbound-sms-oneline')
    expect(await json(await h.post.scg(t, event))).toMatchObject({ status: 'SUPPRESSED' })
    expect(await ci360Fake.requests(t.ci360Key)).toEqual([])
    expect(await scgFake.requests(t.scgToken)).toHaveLength(0)
  })

  it('Twilio: an entry for the sender used blocks; one for another sender or another channel does not', async () => {
    const t = twilioTenant(FIXTURE_TENANT, { suppressed_event: EVENT })
    const h = createHarness([t], { via: 'app' })
    await optedOut(h, t.id, { address: TWILIO_TO, sender: '+18885550999' })
    await optedOut(h, t.id, { address: TWILIO_TO, channel: 'whatsapp' })
    const first = outboundEvent('outbound-twilio')
    expect(await json(await h.post.twilio(t, first))).toMatchObject({ status: 'OK', guid: first.guid })
    expect(await twilioFake.requests(t.accountSid)).toHaveLength(1)

    await optedOut(h, t.id, { address: TWILIO_TO, sender: TWILIO_FROM })
    const second = outboundEvent('outbound-twilio')
    const res = await h.post.twilio(t, second)
    expect(res.status).toBe(200)
    expect(await json(res)).toEqual({ status: 'SUPPRESSED', guid: second.guid, reason: 'OPTED_OUT' })
    expect(await twilioFake.requests(t.accountSid)).toHaveLength(1)
    expect(await rows.delivery(second.guid, t.id)).toMatchObject({ state: 'suppressed' })
    expect(await suppressedEvents(t.ci360Key)).toMatchObject([
      { datahub_id: second.identityId, provider: 'twilio' },
    ])
  })

  it('a tenant-wide entry blocks every sender; another tenant’s entry blocks nothing', async () => {
    const t = twilioTenant(FIXTURE_TENANT)
    const h = createHarness([t], { via: 'app' })
    await optedOut(h, OTHER_TENANT, { address: TWILIO_TO })
    const first = outboundEvent('outbound-twilio')
    expect(await json(await h.post.twilio(t, first))).toMatchObject({ status: 'OK' })

    await optedOut(h, t.id, { address: TWILIO_TO, source: 'operator', keyword: null })
    const second = outboundEvent('outbound-twilio')
    expect(await json(await h.post.twilio(t, second))).toMatchObject({ status: 'SUPPRESSED' })
    expect(await twilioFake.requests(t.accountSid)).toHaveLength(1)
  })
})

describe('Genesys messages: a number on the opt-out list gets a Failed receipt, OPTED_OUT', () => {
  it('Open Messaging: 200 SUPPRESSED, no call at SCG, delivery suppressed, Failed receipt with OPTED_OUT', async () => {
    const t = genesysTenant()
    const h = createHarness([t], { via: 'app' })
    await optedOut(h, t.id, { address: SMS_TO })
    const msg = openMessage()

    const res = await h.post.openMessaging(t, msg)

    expect(res.status).toBe(200)
    expect(await json(res)).toEqual({ status: 'SUPPRESSED', id: msg.id, reason: 'OPTED_OUT' })
    expect(await scgFake.requests(t.scgToken)).toHaveLength(0)
    expect(await rows.delivery(`genesys:${msg.id}`, t.id)).toMatchObject({ state: 'suppressed', attempts: 0 })
    const [receipt, ...more] = await receipts(t.genesysKey)
    expect(more).toEqual([])
    expect(receipt).toMatchObject({ id: msg.id, status: 'Failed', isFinalReceipt: true })
    expect(receipt.reasons).toEqual([{ code: 'OPTED_OUT', message: expect.stringMatching(/^OPTED_OUT: /) }])
  })

  it('Multicloud: the message’s outcome is SUPPRESSED, nothing is sent, Nexus gets the Failed receipt', async () => {
    const t = multicloudTenant()
    const h = createHarness([t], { via: 'app' })
    await optedOut(h, t.id, { address: SMS_TO })
    const msg = multicloudMessage()

    const res = await h.post.multicloud(t, { messages: [msg] })

    expect(res.status).toBe(200)
    expect(await json(res)).toMatchObject({
      status: 'SUPPRESSED',
      messages: [{ messageId: `genesys:${msg.id}`, status: 'SUPPRESSED', id: msg.id, reason: 'OPTED_OUT' }],
    })
    expect(await scgFake.requests(t.scgToken)).toHaveLength(0)
    expect(await rows.delivery(`genesys:${msg.id}`, t.id)).toMatchObject({ state: 'suppressed' })
    const nexus = (await genesysFake.requests(t.genesysKey)).filter((r) =>
      r.path.endsWith('/nexus/v3/channels/ch-a/messages'),
    )
    expect(nexus.map((r) => r.body.messages[0])).toMatchObject([
      { id: msg.id, status: 'Failed', isFinalReceipt: true, reasons: [{ code: 'OPTED_OUT' }] },
    ])
  })
})

describe('retries: a number opted out after the message was queued is not sent to', () => {
  /** A CI360 send to `outbound-sms`'s number that SCG answered 503: queued for the cron. */
  async function queued(h: Harness, t: ReturnType<typeof testTenant>) {
    await scgFake.script(t.scgToken, [unavailable])
    const event = outboundEvent('outbound-sms', { now: h.clock.now() })
    const res = await h.post.scg(t, event)
    expect(res.status).toBe(202)
    const failed = await rows.failedRequest(event.guid, t.id)
    return { event, id: failed.id as string }
  }

  it('the cron ends it: delivery suppressed, failed request dead with OPTED_OUT, suppressed_event, no second call', async () => {
    const t = testTenant(FIXTURE_TENANT, { suppressed_event: EVENT })
    const h = createHarness([t], { via: 'app' })
    const { event } = await queued(h, t)
    await optedOut(h, t.id, { address: SMS_TO })
    h.clock.advance(15 * 60_000)

    await h.runCron()

    expect(await scgFake.requests(t.scgToken)).toHaveLength(1)
    expect(await rows.failedRequest(event.guid, t.id)).toMatchObject({
      state: 'dead',
      last_error: expect.stringMatching(/^OPTED_OUT: /),
    })
    expect(await rows.delivery(event.guid, t.id)).toMatchObject({ state: 'suppressed', attempts: 1 })
    expect(await suppressedEvents(t.ci360Key)).toMatchObject([
      { datahub_id: event.identityId, reason: 'OPTED_OUT', connector_event_id: `suppressed:${event.guid}` },
    ])
  })

  it('an operator’s Retry ends it the same way', async () => {
    const t = testTenant(FIXTURE_TENANT)
    const h = createHarness([t], { via: 'app' })
    const { event, id } = await queued(h, t)
    await optedOut(h, t.id, { address: SMS_TO })

    const res = await h.post.admin(t, `/failed-requests/${id}/retry`, { method: 'POST' })

    expect(res.status).toBe(200)
    expect(await json(res)).toEqual({
      status: 'SUPPRESSED',
      reason: 'OPTED_OUT',
      id,
      guid: event.guid,
      state: 'dead',
      attempts: 2,
    })
    expect(await scgFake.requests(t.scgToken)).toHaveLength(1)
    expect(await rows.failedRequest(event.guid, t.id)).toMatchObject({
      state: 'dead',
      last_error: expect.stringMatching(/^OPTED_OUT: /),
    })
    expect(await rows.delivery(event.guid, t.id)).toMatchObject({ state: 'suppressed' })
  })

  it('a queued Genesys message: the cron ends it and Genesys gets the Failed receipt, OPTED_OUT', async () => {
    const t = genesysTenant()
    const h = createHarness([t], { via: 'app' })
    await scgFake.script(t.scgToken, [unavailable])
    const msg = openMessage()
    expect(await json(await h.post.openMessaging(t, msg))).toMatchObject({ status: 'QUEUED' })
    await optedOut(h, t.id, { address: SMS_TO })
    h.clock.advance(15 * 60_000)

    await h.runCron()

    expect(await scgFake.requests(t.scgToken)).toHaveLength(1)
    expect(await rows.delivery(`genesys:${msg.id}`, t.id)).toMatchObject({ state: 'suppressed' })
    expect(await rows.failedRequest(`genesys:${msg.id}`, t.id)).toMatchObject({ state: 'dead' })
    const sent = await receipts(t.genesysKey)
    expect(sent).toMatchObject([{ id: msg.id, status: 'Failed', reasons: [{ code: 'OPTED_OUT' }] }])
  })
})
