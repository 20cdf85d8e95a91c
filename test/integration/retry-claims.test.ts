import { createExecutionContext, createScheduledController, waitOnExecutionContext } from 'cloudflare:test'
import { beforeEach, describe, expect, it } from 'vitest'
import worker from '../../src/index'
import { createClock } from '../support/clock'
import { FIXTURE_TENANT, OTHER_TENANT } from '../support/constants'
import { ci360Fake, scgFake } from '../support/fake-control'
import { outboundEvent } from '../support/fixtures'
import { createHarness } from '../support/harness'
import { rows, seed, wipeTables } from '../support/rows'
import { json, testTenant } from '../support/worker'

const S = 1000
const unavailable = { status: 503, body: { error_code: 'SCG_ERROR_5030', error_description: 'busy' } }

beforeEach(wipeTables)

describe('retry engine: claiming', () => {
  async function queueMany(n: number, delayMs = 0) {
    const t = testTenant()
    const h = createHarness([t], { via: 'app' })
    const clock = h.clock
    await scgFake.script(t.scgToken, [], unavailable)
    const events = []
    for (let i = 0; i < n; i++) {
      const event = outboundEvent('outbound-sms', {
        now: clock.now(),
        patch: (e) => (e.identityId = `identity-${i}`),
      })
      expect((await h.post.scg(t, event)).status).toBe(202)
      events.push(event)
    }
    await scgFake.reset(t.scgToken)
    await scgFake.script(t.scgToken, [], delayMs ? { delayMs } : null)
    return { t, clock, h, events }
  }

  it('two overlapping cron runs over the same due rows process each row exactly once', async () => {
    const { t, clock, h, events } = await queueMany(30, 15)
    clock.advance(60 * S)
    const reports = await Promise.all([h.runCron(), h.runCron()])
    expect(reports.map((r) => r.attempted).reduce((a, b) => a + b)).toBe(30)
    expect(reports.every((r) => r.attempted > 0)).toBe(true)

    const ids = (await scgFake.requests(t.scgToken)).map((r) => r.body.external_id.split('|')[0])
    expect(ids).toHaveLength(30)
    expect(new Set(ids).size).toBe(30)
    for (const e of events)
      expect(await rows.failedRequest(e.guid)).toMatchObject({ state: 'done', attempts: 2 })
  })

  it('takes due rows in next_attempt_at order and leaves the rest for the next run', async () => {
    const { t, clock, h, events } = await queueMany(6)
    const order = [3, 0, 5, 1, 4, 2]
    for (const [rank, i] of order.entries()) {
      await seed.nextAttempt(events[i]?.guid as string, clock.now() + (10 + rank) * S)
    }
    clock.advance(60 * S)
    const limits = { batchSize: 3, maxRows: 4, concurrency: 1 }
    expect((await h.runCron(limits)).attempted).toBe(4)
    const identity = (r: any) => Number(r.body.external_id.split('|')[0].replace('identity-', ''))
    expect((await scgFake.requests(t.scgToken)).map(identity)).toEqual(order.slice(0, 4))
    expect(await rows.failedRequest(events[4]?.guid)).toMatchObject({ state: 'pending', attempts: 1 })

    await h.runCron(limits)
    expect((await scgFake.requests(t.scgToken)).map(identity)).toEqual(order)
  })

  it('a row leased by a run that died is picked up again once the lease runs out', async () => {
    const { t, clock, h, events } = await queueMany(1)
    clock.advance(60 * S)
    await seed.lease({ guid: events[0]?.guid as string }, clock.now() + 60 * S, 'dead-run')
    expect((await h.runCron()).attempted).toBe(0)
    clock.advance(61 * S)
    expect((await h.runCron()).attempted).toBe(1)
    expect(await scgFake.requests(t.scgToken)).toHaveLength(1)
    expect(await rows.failedRequest(events[0]?.guid)).toMatchObject({ state: 'done', lease_token: null })
  })
})

describe('retry engine: other kinds, the scheduled handler, retention', () => {
  it('retries a stored CI360 event (kind ci360_event) through the CI360 client', async () => {
    const t = testTenant()
    const h = createHarness([t])
    const body = { eventName: 'SMS Delivered', datahub_id: 'dh-1', externalCode: 'TSK_1' }
    await seed.ci360EventFailure(t.id, 'scg:evt-1', JSON.stringify(body), h.clock.now())
    expect((await h.runCron()).states.done).toBe(1)
    const sent = await ci360Fake.requests(t.ci360Key)
    // Stored before events carried connector_event_id: the retry adds the row's key.
    expect(sent.map((r) => r.body)).toEqual([{ ...body, connector_event_id: 'scg:evt-1' }])
    expect(await rows.failedRequest('scg:evt-1')).toMatchObject({ state: 'done', attempts: 2 })
  })

  it('the Worker scheduled() export runs the retries', async () => {
    const t = testTenant()
    const h = createHarness([t])
    await scgFake.script(t.scgToken, [unavailable])
    const event = outboundEvent('outbound-sms')
    const res = await h.post.scg(t, event)
    expect((await json(res)).status).toBe('QUEUED')
    await seed.nextAttempt(event.guid, Date.now() - 1)
    const ctx = createExecutionContext()
    await worker.scheduled(
      createScheduledController({ scheduledTime: Date.now(), cron: '* * * * *' }),
      h.env,
      ctx,
    )
    await waitOnExecutionContext(ctx)
    expect(await rows.failedRequest(event.guid)).toMatchObject({ state: 'done', attempts: 2 })
    expect(await scgFake.requests(t.scgToken)).toHaveLength(2)
  })

  it('purges rows older than retention_days, honouring a tenant override', async () => {
    const day = 86_400 * S
    const now = Date.now()
    const short = testTenant(FIXTURE_TENANT, { retention_days: '2' })
    const normal = testTenant(OTHER_TENANT)
    const h = createHarness([short, normal], { clock: createClock(now) })
    const insertAll = (tenant: string | null, key: string, ageDays: number) =>
      seed.agedRows(tenant, OTHER_TENANT, key, now - ageDays * day)
    await insertAll(OTHER_TENANT, 'other-31d', 31)
    await insertAll(OTHER_TENANT, 'other-3d', 3)
    await insertAll(FIXTURE_TENANT, 'short-3d', 3)
    await insertAll(FIXTURE_TENANT, 'short-1d', 1)
    await insertAll(null, 'none-31d', 31)
    await insertAll(null, 'none-29d', 29)

    const report = await h.runCron()
    expect(report.purged).toEqual({
      deliveries: 3,
      failed_requests: 3,
      webhook_events: 3,
      inbound_events: 3,
      bulk_jobs: 3,
    })
    const kept = ['none-29d', 'other-3d', 'short-1d']
    expect(await rows.keysOf('deliveries')).toEqual(kept)
    expect(await rows.keysOf('failed_requests')).toEqual(kept)
    expect(await rows.keysOf('webhook_events')).toEqual(kept)
    expect(await rows.keysOf('inbound_events')).toEqual(kept)
    expect(await rows.keysOf('bulk_jobs')).toEqual(kept)
  })
})
