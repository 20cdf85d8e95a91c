import { env } from 'cloudflare:workers'
import { beforeEach, describe, expect, it } from 'vitest'
import { createClock } from '../support/clock'
import { scgFake } from '../support/fake-control'
import { outboundEvent } from '../support/fixtures'
import { createHarness } from '../support/harness'
import { rows, wipeTables } from '../support/rows'
import { json, testTenant } from '../support/worker'

/**
 * A paced tenant's messages that the cron would retry go back on the send queue instead (docs/pacing.md):
 * a night's quiet-hours backlog and a provider outage leave at the sender's pace, and a message whose
 * first send went unseen is looked up before it is sent again.
 */

const QUIET = { start: '21:00', end: '08:00', zone: 'recipient' }
/** 23:00 in Los Angeles (the fixture's +1 415 recipient). */
const NIGHT = Date.parse('2026-06-10T06:00:00Z')
const MORNING = Date.parse('2026-06-10T15:00:00Z')

const ownSender = () => `channel:Retry${crypto.randomUUID().replaceAll('-', '').slice(0, 18)}`
const eventFrom = (sender: string, now?: number) =>
  outboundEvent('outbound-sms', {
    ...(now ? { now } : {}),
    patch: (e) =>
      (e.impression.creativeContent = e.impression.creativeContent.replace(
        'channel:Zx8QpLm2RkWc4sTn7YbVhA',
        sender,
      )),
  })

beforeEach(async () => {
  await wipeTables()
  await env.DB.prepare('DELETE FROM suppressions').run()
})

describe('cron retries of a queued tenant go back on the send queue', () => {
  it('quiet hours: held at night, handed to the queue in the morning (no send by the cron), then sent by the consumer', async () => {
    const t = testTenant(undefined, { send_mode: 'queued', quiet_hours: QUIET })
    const clock = createClock(NIGHT)
    const h = createHarness([t], { clock, via: 'app' })
    const event = eventFrom(ownSender(), clock.now())

    const res = await h.post.scg(t, event)
    expect(await json(res)).toMatchObject({ status: 'DEFERRED' })
    expect(h.sends.pending()).toHaveLength(0)

    clock.set(MORNING + 31 * 60_000)
    await h.runCron()

    expect(await scgFake.requests(t.scgToken)).toHaveLength(0)
    expect(await rows.delivery(event.guid, t.id)).toMatchObject({ state: 'accepted', attempts: 0 })
    expect(await rows.failedRequest(event.guid, t.id)).toMatchObject({ state: 'done' })
    expect(h.sends.pending()).toHaveLength(1)

    await h.drainSends()
    expect(await scgFake.requests(t.scgToken)).toHaveLength(1)
    expect(await rows.delivery(event.guid, t.id)).toMatchObject({ state: 'sent', attempts: 1 })
  })

  it('a provider outage: the consumer stores it, the cron hands it back, the consumer sends it', async () => {
    const t = testTenant(undefined, { send_mode: 'queued' })
    const h = createHarness([t], { via: 'app' })
    await scgFake.script(t.scgToken, [{ status: 503, body: { error_code: '5030' } }])
    const event = eventFrom(ownSender())
    await h.post.scg(t, event)
    await h.drainSends()
    expect(await rows.delivery(event.guid, t.id)).toMatchObject({ state: 'queued' })

    h.clock.advance(60_000)
    await h.runCron()
    expect(await scgFake.requests(t.scgToken)).toHaveLength(1)
    await h.drainSends()

    expect(await scgFake.requests(t.scgToken)).toHaveLength(2)
    expect(await rows.delivery(event.guid, t.id)).toMatchObject({ state: 'sent', attempts: 2 })
  })

  it("an operator's Retry hands it back to the queue too: 202 ACCEPTED, sent by the consumer", async () => {
    const t = testTenant(undefined, { send_mode: 'queued' })
    const h = createHarness([t], { via: 'app' })
    await scgFake.script(t.scgToken, [{ status: 503, body: { error_code: '5030' } }])
    const event = eventFrom(ownSender())
    await h.post.scg(t, event)
    await h.drainSends()
    const failed = await rows.failedRequest(event.guid, t.id)

    const res = await h.post.admin(t, `/failed-requests/${failed.id}/retry`, { method: 'POST' })

    expect(res.status).toBe(202)
    expect(await json(res)).toMatchObject({ status: 'ACCEPTED', guid: event.guid, state: 'done' })
    expect(await scgFake.requests(t.scgToken)).toHaveLength(1)
    await h.drainSends()
    expect(await rows.delivery(event.guid, t.id)).toMatchObject({ state: 'sent' })
  })

  it('a send that went unseen (SCG took it but answered too late) is looked up, found, and not sent again', async () => {
    const t = testTenant(undefined, { send_mode: 'queued' })
    const h = createHarness([t], { via: 'app' })
    await scgFake.script(t.scgToken, [{ acceptLateMs: 1_500 }])
    const event = eventFrom(ownSender())
    await h.post.scg(t, event)
    await h.drainSends()
    expect(await rows.delivery(event.guid, t.id)).toMatchObject({ state: 'queued', outcome_unknown: 1 })

    h.clock.advance(60_000)
    await h.runCron()
    await h.drainSends()

    expect(await scgFake.requests(t.scgToken)).toHaveLength(1)
    expect(await scgFake.requests(`lookup:${t.scgToken}`)).toHaveLength(1)
    expect(await rows.delivery(event.guid, t.id)).toMatchObject({ state: 'sent', outcome_unknown: 0 })
  })
})
