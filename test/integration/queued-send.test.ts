import { env } from 'cloudflare:workers'
import { beforeEach, describe, expect, it } from 'vitest'
import { BindingCounter, countD1 } from '../../bench/worker/counter'
import { FIXTURE_TENANT } from '../support/constants'
import { ci360Fake, scgFake, scgStats, setScgRate, twilioFake } from '../support/fake-control'
import { outboundEvent } from '../support/fixtures'
import { createHarness } from '../support/harness'
import { rows, wipeTables } from '../support/rows'
import { twilioTenant } from '../support/twilio'
import { json, testTenant } from '../support/worker'

/** The SCG fixture's sender (`FROM:channel:…` of `outbound-sms-oneline`). */
const SENDER = 'channel:Zx8QpLm2RkWc4sTn7YbVhA'
const SENT = 'SMS Sent'
const FAILED = 'SMS Send Failed'
/** A clock that is the real one: the pacer's times are waited for in real time. */
const realClock = { now: () => Date.now(), set() {}, advance() {} }

const queuedTenant = (overrides: Record<string, unknown> = {}) =>
  testTenant(FIXTURE_TENANT, {
    send_mode: 'queued',
    sent_event: SENT,
    send_failed_event: FAILED,
    ...overrides,
  })

/** A sender of its own (so its pacer's state is the test's alone) as the creative's FROM. */
const ownSender = () => `channel:Pace${crypto.randomUUID().replaceAll('-', '').slice(0, 18)}`
const fromSender = (sender: string) =>
  outboundEvent('outbound-sms-oneline', {
    patch: (e) => (e.impression.creativeContent = e.impression.creativeContent.replace(SENDER, sender)),
  })

const eventsNamed = async (key: string, name: string) =>
  (await ci360Fake.requests(key)).map((r) => r.body).filter((b) => b?.eventName === name)

beforeEach(async () => {
  await wipeTables()
  await env.DB.prepare('DELETE FROM suppressions').run()
})

describe('send_mode queued: accept at once, send from the queue', () => {
  it('answers 202 ACCEPTED without calling SCG, keeps the row accepted with sender and segments; a redelivery is a DUPLICATE', async () => {
    const t = queuedTenant()
    const h = createHarness([t], { via: 'app' })
    const event = outboundEvent('outbound-sms-oneline', { patch: (e) => (e.responseTrackingCode = 'rtc-77') })

    const res = await h.post.scg(t, event)

    expect(res.status).toBe(202)
    expect(await json(res)).toEqual({ status: 'ACCEPTED', guid: event.guid })
    expect(await scgFake.requests(t.scgToken)).toHaveLength(0)
    const row = await rows.delivery(event.guid, t.id)
    expect(row).toMatchObject({ state: 'accepted', sender: SENDER, segments: 1 })
    expect(row.queued_until).toBeGreaterThan(h.clock.now())
    expect(h.sends.pending()).toHaveLength(1)
    expect(h.sends.pending()[0]?.body).toMatchObject({
      v: 1,
      tenant: t.id,
      guid: event.guid,
      provider: 'scg',
    })

    const again = await h.post.scg(t, event)
    expect(again.status).toBe(200)
    expect(await json(again)).toMatchObject({ status: 'DUPLICATE', state: 'accepted' })
    expect(h.sends.pending()).toHaveLength(1)
  })

  it('the consumer sends it once, records it sent and tells CI360 sent_event with the RTC; a second copy on the queue sends nothing', async () => {
    const t = queuedTenant()
    const h = createHarness([t], { via: 'app' })
    const event = outboundEvent('outbound-sms-oneline', { patch: (e) => (e.responseTrackingCode = 'rtc-77') })
    await h.post.scg(t, event)
    const copy = h.sends.pending()[0]
    if (!copy) throw new Error('nothing queued')

    const result = await h.drainSends()

    expect(result.explicitAcks).toHaveLength(1)
    const sent = await scgFake.requests(t.scgToken)
    expect(sent).toHaveLength(1)
    expect(sent[0]?.body).toMatchObject({ from: SENDER, to: ['+16505550142'] })
    const row = await rows.delivery(event.guid, t.id)
    expect(row).toMatchObject({ state: 'sent', attempts: 1 })
    expect(row.provider_message_id).toMatch(/^.{22}$/)
    // Kept while it may still come back (an SCG 1039 receipt re-queues it from this body).
    expect(row.event_body).not.toBeNull()
    const events = await eventsNamed(t.ci360Key, SENT)
    expect(events).toEqual([
      expect.objectContaining({
        eventName: SENT,
        responseTrackingCode: 'rtc-77',
        guid: event.guid,
        provider: 'scg',
        sender: SENDER,
        message_id: row.provider_message_id,
        segments: '1',
      }),
    ])

    await h.sends.queue.send(copy.body)
    await h.drainSends()
    expect(await scgFake.requests(t.scgToken)).toHaveLength(1)
    expect(await eventsNamed(t.ci360Key, SENT)).toHaveLength(1)
  })

  it('a queue that refuses: 503 STORAGE_UNAVAILABLE and the claim released, so the redelivery is accepted', async () => {
    const t = queuedTenant()
    const h = createHarness([t], { via: 'app' })
    const event = outboundEvent('outbound-sms-oneline')
    h.sends.refuse()

    const res = await h.post.scg(t, event)

    expect(res.status).toBe(503)
    expect((await json(res)).error.code).toBe('STORAGE_UNAVAILABLE')
    expect(await rows.delivery(event.guid, t.id)).toBeNull()
    h.sends.refuse(false)
    expect((await h.post.scg(t, event)).status).toBe(202)
  })

  it('a final rejection: delivery rejected, send_failed_event with the reason code, nothing retried', async () => {
    const t = queuedTenant()
    const h = createHarness([t], { via: 'app' })
    await scgFake.script(t.scgToken, [
      { status: 400, body: { error_code: '4001', error_description: 'Invalid recipient address' } },
    ])
    const event = outboundEvent('outbound-sms-oneline')
    await h.post.scg(t, event)

    await h.drainSends()

    expect(await rows.delivery(event.guid, t.id)).toMatchObject({ state: 'rejected' })
    expect(await rows.failedRequest(event.guid, t.id)).toMatchObject({ state: 'dead' })
    expect(await eventsNamed(t.ci360Key, FAILED)).toEqual([
      expect.objectContaining({ guid: event.guid, reason_code: '4001', provider: 'scg' }),
    ])
    expect(await eventsNamed(t.ci360Key, SENT)).toHaveLength(0)
  })

  it('a provider that is down: stored for the cron with backoff, no failed event yet', async () => {
    const t = queuedTenant()
    const h = createHarness([t], { via: 'app' })
    await scgFake.script(t.scgToken, [
      { status: 503, body: { error_code: '5030', error_description: 'down' } },
    ])
    const event = outboundEvent('outbound-sms-oneline')
    await h.post.scg(t, event)

    await h.drainSends()

    expect(await rows.delivery(event.guid, t.id)).toMatchObject({ state: 'queued' })
    expect(await rows.failedRequest(event.guid, t.id)).toMatchObject({ state: 'pending', kind: 'scg' })
    expect(await eventsNamed(t.ci360Key, FAILED)).toHaveLength(0)
  })

  it('Twilio sends carry ValidityPeriod: what is left of event_ttl', async () => {
    const t = twilioTenant(FIXTURE_TENANT, { send_mode: 'queued', event_ttl: 600 })
    const h = createHarness([t], { via: 'app' })
    const event = outboundEvent('outbound-twilio', { now: Date.now() - 100_000 })
    expect((await h.post.twilio(t, event)).status).toBe(202)

    await h.drainSends()

    const [sent] = await twilioFake.requests(t.accountSid)
    const validity = Number((sent?.body as Record<string, string[]> | undefined)?.ValidityPeriod?.[0])
    expect(validity).toBeGreaterThan(490)
    expect(validity).toBeLessThanOrEqual(500)
  })

  it('a number that opts out while its message waits on the queue is not sent to', async () => {
    const t = queuedTenant()
    const h = createHarness([t], { via: 'app' })
    const event = outboundEvent('outbound-sms-oneline')
    await h.post.scg(t, event)
    await h.deps.stores.suppressions.add(
      t.id,
      { address: '+16505550142', channel: 'sms', source: 'keyword', keyword: 'STOP' },
      'keyword',
      h.clock.now(),
    )

    await h.drainSends()

    expect(await scgFake.requests(t.scgToken)).toHaveLength(0)
    expect(await rows.delivery(event.guid, t.id)).toMatchObject({ state: 'suppressed' })
  })

  it('an accepted message whose queue message was lost is put back by the cron, once', async () => {
    const t = queuedTenant()
    const h = createHarness([t], { via: 'app' })
    // Its own sender: the clock moves minutes ahead here, and the pacer keeps times.
    const event = fromSender(ownSender())
    await h.post.scg(t, event)
    h.sends.take() // the queue lost it

    h.clock.advance(4 * 60_000)
    expect((await h.runCron()).requeued).toBe(0)
    h.clock.advance(2 * 60_000)
    expect((await h.runCron()).requeued).toBe(1)
    expect((await h.runCron()).requeued).toBe(0)

    await h.drainSends()
    expect(await scgFake.requests(t.scgToken)).toHaveLength(1)
    expect(await rows.delivery(event.guid, t.id)).toMatchObject({ state: 'sent' })
  })
})

describe('D1 round trips', () => {
  it('the accept costs one D1 round trip; the consumer takes and records a batch of 20 in two', async () => {
    let counter: BindingCounter | undefined
    const sender = ownSender()
    const t = queuedTenant({ senders: { [sender]: { mps: 1000 } } })
    const h = createHarness([t], { via: 'app', runtime: { db: countD1(env.DB, () => counter) } })
    const events = Array.from({ length: 20 }, () => fromSender(sender))

    counter = new BindingCounter()
    expect((await h.post.scg(t, events[0])).status).toBe(202)
    expect(counter.beforeReply).toMatchObject({ d1: 1, d1Sequential: 1 })
    for (const e of events.slice(1)) await h.post.scg(t, e)

    counter = new BindingCounter()
    await h.drainSends()
    expect(counter.beforeReply).toMatchObject({ d1: 2, d1Sequential: 2 })
    expect((await rows.sentDeliveries(t.id)).n).toBe(20)
  })

  it('a timeout at SCG is stored as an unknown outcome: the cron looks SCG up before any re-send', async () => {
    const t = queuedTenant()
    const h = createHarness([t], { via: 'app' })
    await scgFake.script(t.scgToken, [{ hang: true, hangMs: 3_000 }])
    const event = fromSender(ownSender())
    await h.post.scg(t, event)

    await h.drainSends()

    expect(await rows.delivery(event.guid, t.id)).toMatchObject({ state: 'queued', outcome_unknown: 1 })
    expect(await rows.failedRequest(event.guid, t.id)).toMatchObject({ state: 'pending' })
  })
})

describe('pacing: a burst leaves at the sender rate', () => {
  it('15 messages to a 5 segments/s sender: none over the rate at SCG; the same burst sent sync goes over', async () => {
    const sender = ownSender()
    const paced = queuedTenant({ senders: { [sender]: { mps: 5 } } })
    await setScgRate(paced.scgToken, { [sender]: { mps: 5 } })
    const h = createHarness([paced], { via: 'app', clock: realClock })
    for (let i = 0; i < 15; i++) {
      const r = await h.post.scg(paced, fromSender(sender))
      expect(await json(r)).toMatchObject({ status: 'ACCEPTED' })
    }

    const started = Date.now()
    await h.drainSends()
    const took = Date.now() - started

    const stats = await scgStats(paced.scgToken)
    expect(stats.accepted).toBe(15)
    expect(stats.overRate).toBe(0)
    // 5 at once (the bucket starts full), then 10 at 5 per second.
    expect(took).toBeGreaterThanOrEqual(1_800)
    expect((await rows.sentDeliveries(paced.id)).n).toBe(15)

    const sync = testTenant(FIXTURE_TENANT)
    await setScgRate(sync.scgToken, { [SENDER]: { mps: 5 } })
    const s = createHarness([sync], { via: 'app' })
    await Promise.all(
      Array.from({ length: 15 }, () => s.post.scg(sync, outboundEvent('outbound-sms-oneline'))),
    )
    expect((await scgStats(sync.scgToken)).overRate).toBeGreaterThanOrEqual(8)
  })
})
