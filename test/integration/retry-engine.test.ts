import { createExecutionContext, createScheduledController, waitOnExecutionContext } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { beforeEach, describe, expect, it } from 'vitest'
import worker from '../../src/index'
import { runScheduled } from '../../src/retry/cron'
import { createFailedRequestStore } from '../../src/storage/failed-requests'
import { clocked, createClock, deliveryRow, failedRow, postScg, wipeTables } from '../support/clock'
import { FIXTURE_TENANT, OTHER_TENANT } from '../support/constants'
import { ci360Fake, scgFake } from '../support/fake-control'
import { outboundEvent } from '../support/fixtures'
import { call, envWith, json, testTenant } from '../support/worker'

const S = 1000
const unavailable = { status: 503, body: { error_code: 'SCG_ERROR_5030', error_description: 'busy' } }

beforeEach(wipeTables)

/** Queue one event (its first attempt gets `first`) and return what the route answered. */
async function queueOne(t = testTenant(), patch?: (e: any) => void) {
  const testEnv = envWith([t])
  const clock = createClock()
  const { app, deps } = clocked(testEnv, clock)
  await scgFake.script(t.scgToken, [unavailable])
  const event = outboundEvent('outbound-sms', { now: clock.now(), ...(patch ? { patch } : {}) })
  const res = await postScg(app, t, event)
  expect(res.status).toBe(202)
  const row = await failedRow(event.guid)
  return { t, testEnv, clock, deps, event, row }
}

describe('retry engine: one row through its life', () => {
  it('retries a queued SCG message once due (not before) and records the delivery as sent', async () => {
    const { t, clock, deps, event, row } = await queueOne()
    clock.set(row.next_attempt_at - 1)
    expect((await runScheduled(deps, clock.now())).attempted).toBe(0)
    expect(await scgFake.requests(t.scgToken)).toHaveLength(1)

    clock.set(row.next_attempt_at)
    const report = await runScheduled(deps, clock.now())
    expect(report).toMatchObject({ attempted: 1, states: { done: 1 }, errors: 0 })
    const sent = await scgFake.requests(t.scgToken)
    expect(sent).toHaveLength(2)
    expect(sent[1]?.body).toEqual(sent[0]?.body)

    expect(await failedRow(event.guid)).toMatchObject({
      state: 'done',
      attempts: 2,
      next_attempt_at: null,
      lease_until: null,
      lease_token: null,
    })
    const delivery = await deliveryRow(event.guid)
    expect(delivery).toMatchObject({ state: 'sent', attempts: 2 })
    expect(delivery.provider_message_id).toMatch(/^[\w-]{22}$/)
    expect(JSON.parse(delivery.history).map((h: any) => h.state)).toEqual(['sending', 'queued', 'sent'])
    expect(await env.IDENTITY_CACHE.get('phone:+14155550123', 'json')).toMatchObject({
      datahub_id: event.identityId,
      tenant_id: FIXTURE_TENANT,
    })

    clock.advance(3600 * S)
    expect((await runScheduled(deps, clock.now())).attempted).toBe(0)
    expect(await scgFake.requests(t.scgToken)).toHaveLength(2)
  })

  it('Retry-After: 120 puts the next attempt 120 s out, and it is not made before then', async () => {
    const { t, clock, deps, event, row } = await queueOne()
    await scgFake.script(t.scgToken, [{ ...unavailable, headers: { 'retry-after': '120' } }])
    clock.set(row.next_attempt_at)
    const attemptAt = clock.now()
    await runScheduled(deps, attemptAt)
    const after = await failedRow(event.guid)
    expect(after).toMatchObject({ state: 'pending', attempts: 2, http_status: 503 })
    expect(after.next_attempt_at - attemptAt).toBeGreaterThanOrEqual(120 * S)

    clock.set(attemptAt + 119 * S)
    await runScheduled(deps, clock.now())
    expect(await scgFake.requests(t.scgToken)).toHaveLength(2)
    clock.set(after.next_attempt_at)
    await runScheduled(deps, clock.now())
    expect(await scgFake.requests(t.scgToken)).toHaveLength(3)
    expect(await failedRow(event.guid)).toMatchObject({ state: 'done', attempts: 3 })
  })

  it('a permanent 400 on retry marks the row dead with the provider code, and it is not retried', async () => {
    const { t, clock, deps, event, row } = await queueOne()
    await scgFake.script(t.scgToken, [
      { status: 400, body: { error_code: '4001', error_description: 'Invalid recipient' } },
    ])
    clock.set(row.next_attempt_at)
    expect((await runScheduled(deps, clock.now())).states.dead).toBe(1)
    const dead = await failedRow(event.guid)
    expect(dead).toMatchObject({ state: 'dead', attempts: 2, http_status: 400, next_attempt_at: null })
    expect(dead.last_error).toContain('4001')
    expect(await deliveryRow(event.guid)).toMatchObject({ state: 'rejected', attempts: 2 })

    clock.advance(5 * 3600 * S)
    await runScheduled(deps, clock.now())
    expect(await scgFake.requests(t.scgToken)).toHaveLength(2)
  })

  it('a row older than event_ttl expires without a provider call', async () => {
    const { t, clock, deps, event } = await queueOne(testTenant(FIXTURE_TENANT, { event_ttl: '60' }))
    clock.set(event.date.generatedTimestamp + 61 * S)
    expect((await runScheduled(deps, clock.now())).states.expired).toBe(1)
    expect(await scgFake.requests(t.scgToken)).toHaveLength(1)
    const expired = await failedRow(event.guid)
    expect(expired).toMatchObject({ state: 'expired', attempts: 1, next_attempt_at: null })
    expect(expired.last_error).toContain('event_ttl')
    const delivery = await deliveryRow(event.guid)
    expect(delivery).toMatchObject({ state: 'expired', attempts: 1 })
    expect(JSON.parse(delivery.history).at(-1).state).toBe('expired')
  })

  it('stops at retry_max_attempts: the row and the delivery are dead, after exactly that many calls', async () => {
    const t = testTenant(FIXTURE_TENANT, { retry_max_attempts: '3' })
    await scgFake.script(t.scgToken, [], unavailable)
    const { clock, deps, event } = await queueOne(t)
    for (let i = 0; i < 5; i++) {
      const row = await failedRow(event.guid)
      if (row.state !== 'pending') break
      clock.set(row.next_attempt_at)
      await runScheduled(deps, clock.now())
    }
    const dead = await failedRow(event.guid)
    expect(dead).toMatchObject({ state: 'dead', attempts: 3, http_status: 503 })
    expect(dead.last_error).toContain('gave up after 3 attempts')
    expect(await deliveryRow(event.guid)).toMatchObject({ state: 'dead', attempts: 3 })
    expect(await scgFake.requests(t.scgToken)).toHaveLength(3)
  })

  it('follows the backoff schedule 30 s, 1 m, 5 m, 15 m (±10 %) between attempts', async () => {
    const t = testTenant()
    await scgFake.script(t.scgToken, [], unavailable)
    const { clock, deps, event } = await queueOne(t)
    const gaps: number[] = []
    let last = clock.now()
    for (let i = 0; i < 4; i++) {
      const row = await failedRow(event.guid)
      gaps.push(row.next_attempt_at - last)
      clock.set(row.next_attempt_at)
      last = clock.now()
      await runScheduled(deps, clock.now())
    }
    const expected = [30, 60, 300, 900].map((s) => s * S)
    for (const [i, gap] of gaps.entries()) {
      expect(gap).toBeGreaterThanOrEqual((expected[i] as number) * 0.9)
      expect(gap).toBeLessThanOrEqual((expected[i] as number) * 1.1)
    }
  })
})

describe('retry engine: configuration problems', () => {
  it('a tenant whose secret is gone keeps its rows pending (no call) until the secret is back', async () => {
    const { t, testEnv, clock, event, row } = await queueOne()
    const { deps: without } = clocked(envWith([]), clock)
    clock.set(row.next_attempt_at)
    await runScheduled(without, clock.now())
    const waiting = await failedRow(event.guid)
    expect(waiting).toMatchObject({ state: 'pending', attempts: 2 })
    expect(waiting.last_error).toContain('tenant not configured')
    expect(waiting.next_attempt_at).toBeGreaterThan(clock.now())
    expect(await deliveryRow(event.guid)).toMatchObject({ state: 'queued', attempts: 1 })
    expect(await scgFake.requests(t.scgToken)).toHaveLength(1)

    const { deps: restored } = clocked(testEnv, clock)
    clock.set(waiting.next_attempt_at)
    await runScheduled(restored, clock.now())
    expect(await failedRow(event.guid)).toMatchObject({ state: 'done', attempts: 3 })
    expect(await deliveryRow(event.guid)).toMatchObject({ state: 'sent', attempts: 2 })
  })

  it('a tenant that stays gone ends dead after retry_max_attempts, still without a call', async () => {
    const { t, clock, event, row } = await queueOne()
    const { deps: without } = clocked(envWith([], { retry_max_attempts: '2' }), clock)
    clock.set(row.next_attempt_at)
    await runScheduled(without, clock.now())
    const dead = await failedRow(event.guid)
    expect(dead.state).toBe('dead')
    expect(dead.last_error).toContain('tenant not configured')
    expect(await deliveryRow(event.guid)).toMatchObject({ state: 'dead', attempts: 1 })
    expect(await scgFake.requests(t.scgToken)).toHaveLength(1)
  })

  it('a stored event that no longer builds (sender removed) is dead with INVALID_CREATIVE, not sent', async () => {
    const { t, clock, event, row } = await queueOne(testTenant(), (e) => {
      e.impression.creativeContent = 'TO:+14155550123;Hello without a FROM'
    })
    const changed = { ...t, secret: { ...t.secret, scg_default_sender: '' } }
    const { deps } = clocked(envWith([changed]), clock)
    clock.set(row.next_attempt_at)
    await runScheduled(deps, clock.now())
    const dead = await failedRow(event.guid)
    expect(dead.state).toBe('dead')
    expect(dead.last_error).toContain('INVALID_CREATIVE')
    expect(await deliveryRow(event.guid)).toMatchObject({ state: 'dead', attempts: 1 })
    expect(await scgFake.requests(t.scgToken)).toHaveLength(1)
  })
})

describe('retry engine: claiming', () => {
  async function queueMany(n: number, delayMs = 0) {
    const t = testTenant()
    const testEnv = envWith([t])
    const clock = createClock()
    const { app, deps } = clocked(testEnv, clock)
    await scgFake.script(t.scgToken, [], unavailable)
    const events = []
    for (let i = 0; i < n; i++) {
      const event = outboundEvent('outbound-sms', {
        now: clock.now(),
        patch: (e) => (e.identityId = `identity-${i}`),
      })
      expect((await postScg(app, t, event)).status).toBe(202)
      events.push(event)
    }
    await scgFake.reset(t.scgToken)
    await scgFake.script(t.scgToken, [], delayMs ? { delayMs } : null)
    return { t, clock, deps, events }
  }

  it('two overlapping cron runs over the same due rows process each row exactly once', async () => {
    const { t, clock, deps, events } = await queueMany(30, 15)
    clock.advance(60 * S)
    const reports = await Promise.all([runScheduled(deps, clock.now()), runScheduled(deps, clock.now())])
    expect(reports.map((r) => r.attempted).reduce((a, b) => a + b)).toBe(30)
    expect(reports.every((r) => r.attempted > 0)).toBe(true)

    const ids = (await scgFake.requests(t.scgToken)).map((r) => r.body.external_id.split('|')[0])
    expect(ids).toHaveLength(30)
    expect(new Set(ids).size).toBe(30)
    for (const e of events) expect(await failedRow(e.guid)).toMatchObject({ state: 'done', attempts: 2 })
  })

  it('takes due rows in next_attempt_at order and leaves the rest for the next run', async () => {
    const { t, clock, deps, events } = await queueMany(6)
    const order = [3, 0, 5, 1, 4, 2]
    for (const [rank, i] of order.entries()) {
      await env.DB.prepare('UPDATE failed_requests SET next_attempt_at = ? WHERE guid = ?')
        .bind(clock.now() + (10 + rank) * S, events[i]?.guid)
        .run()
    }
    clock.advance(60 * S)
    const limits = { batchSize: 3, maxRows: 4, concurrency: 1 }
    expect((await runScheduled(deps, clock.now(), limits)).attempted).toBe(4)
    const identity = (r: any) => Number(r.body.external_id.split('|')[0].replace('identity-', ''))
    expect((await scgFake.requests(t.scgToken)).map(identity)).toEqual(order.slice(0, 4))
    expect(await failedRow(events[4]?.guid)).toMatchObject({ state: 'pending', attempts: 1 })

    await runScheduled(deps, clock.now(), limits)
    expect((await scgFake.requests(t.scgToken)).map(identity)).toEqual(order)
  })

  it('a row leased by a run that died is picked up again once the lease runs out', async () => {
    const { t, clock, deps, events } = await queueMany(1)
    clock.advance(60 * S)
    await env.DB.prepare('UPDATE failed_requests SET lease_until = ?, lease_token = ? WHERE guid = ?')
      .bind(clock.now() + 60 * S, 'dead-run', events[0]?.guid)
      .run()
    expect((await runScheduled(deps, clock.now())).attempted).toBe(0)
    clock.advance(61 * S)
    expect((await runScheduled(deps, clock.now())).attempted).toBe(1)
    expect(await scgFake.requests(t.scgToken)).toHaveLength(1)
    expect(await failedRow(events[0]?.guid)).toMatchObject({ state: 'done', lease_token: null })
  })
})

describe('retry engine: other kinds, the scheduled handler, retention', () => {
  it('retries a stored CI360 event (kind ci360_event) through the CI360 client', async () => {
    const t = testTenant()
    const clock = createClock()
    const { deps } = clocked(envWith([t]), clock)
    const body = { eventName: 'SMS Delivered', datahub_id: 'dh-1', externalCode: 'TSK_1' }
    await createFailedRequestStore(env.DB)
      .insert({
        tenantId: t.id,
        kind: 'ci360_event',
        guid: 'scg:evt-1',
        generatedTimestamp: null,
        eventBody: JSON.stringify(body),
        httpStatus: 503,
        state: 'pending',
        attempts: 1,
        nextAttemptAt: clock.now(),
        lastError: 'unavailable HTTP 503',
        now: clock.now(),
      })
      .run()
    expect((await runScheduled(deps, clock.now())).states.done).toBe(1)
    const sent = await ci360Fake.requests(t.ci360Key)
    expect(sent.map((r) => r.body)).toEqual([body])
    expect(await failedRow('scg:evt-1')).toMatchObject({ state: 'done', attempts: 2 })
  })

  it('the Worker scheduled() export runs the retries', async () => {
    const t = testTenant()
    const testEnv = envWith([t])
    await scgFake.script(t.scgToken, [unavailable])
    const event = outboundEvent('outbound-sms')
    const res = await call(testEnv, `/v1/tenants/${t.id}/scg/messages`, {
      body: event,
      headers: { 'x-api-key': t.apiKey },
    })
    expect((await json(res)).status).toBe('QUEUED')
    await env.DB.prepare('UPDATE failed_requests SET next_attempt_at = ? WHERE guid = ?')
      .bind(Date.now() - 1, event.guid)
      .run()
    const ctx = createExecutionContext()
    await worker.scheduled(
      createScheduledController({ scheduledTime: Date.now(), cron: '* * * * *' }),
      testEnv,
      ctx,
    )
    await waitOnExecutionContext(ctx)
    expect(await failedRow(event.guid)).toMatchObject({ state: 'done', attempts: 2 })
    expect(await scgFake.requests(t.scgToken)).toHaveLength(2)
  })

  it('purges rows older than retention_days, honouring a tenant override', async () => {
    const day = 86_400 * S
    const now = Date.now()
    const short = testTenant(FIXTURE_TENANT, { retention_days: '2' })
    const normal = testTenant(OTHER_TENANT)
    const { deps } = clocked(envWith([short, normal]), createClock(now))
    const insertAll = async (tenant: string | null, key: string, ageDays: number) => {
      const at = now - ageDays * day
      await env.DB.batch([
        env.DB.prepare(
          `INSERT INTO deliveries (tenant_id, guid, provider, identity_id, state, created_at, updated_at)
           VALUES (?, ?, 'scg', 'x', 'sent', ?, ?)`,
        ).bind(tenant ?? OTHER_TENANT, key, at, at),
        env.DB.prepare(
          `INSERT INTO failed_requests (id, tenant_id, kind, guid, event_body, insert_ts, state, created_at, updated_at)
           VALUES (?, ?, 'scg', ?, '{}', '', 'done', ?, ?)`,
        ).bind(key, tenant ?? OTHER_TENANT, key, at, at),
        env.DB.prepare(
          `INSERT INTO webhook_events (source, event_key, tenant_id, created_at) VALUES ('scg', ?, ?, ?)`,
        ).bind(key, tenant, at),
      ])
    }
    await insertAll(OTHER_TENANT, 'other-31d', 31)
    await insertAll(OTHER_TENANT, 'other-3d', 3)
    await insertAll(FIXTURE_TENANT, 'short-3d', 3)
    await insertAll(FIXTURE_TENANT, 'short-1d', 1)
    await insertAll(null, 'none-31d', 31)
    await insertAll(null, 'none-29d', 29)

    const report = await runScheduled(deps, now)
    expect(report.purged).toEqual({ deliveries: 3, failed_requests: 3, webhook_events: 3 })
    const keys = async (sql: string) =>
      (await env.DB.prepare(sql).all<{ k: string }>()).results.map((r) => r.k).sort()
    const kept = ['none-29d', 'other-3d', 'short-1d']
    expect(await keys('SELECT guid AS k FROM deliveries')).toEqual(kept)
    expect(await keys('SELECT guid AS k FROM failed_requests')).toEqual(kept)
    expect(await keys('SELECT event_key AS k FROM webhook_events')).toEqual(kept)
  })
})
