import { createExecutionContext, createScheduledController, waitOnExecutionContext } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { beforeEach, describe, expect, it } from 'vitest'
import worker from '../../src/index'
import { runScheduled } from '../../src/scheduled'
import { createFailedRequestStore } from '../../src/storage/failed-requests'
import { clocked, createClock, failedRow, postScg, wipeTables } from '../support/clock'
import { FIXTURE_TENANT, OTHER_TENANT } from '../support/constants'
import { ci360Fake, scgFake } from '../support/fake-control'
import { outboundEvent } from '../support/fixtures'
import { call, envWith, json, testTenant } from '../support/worker'

const S = 1000
const unavailable = { status: 503, body: { error_code: 'SCG_ERROR_5030', error_description: 'busy' } }

beforeEach(wipeTables)

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
    // Stored before events carried connector_event_id: the retry adds the row's key.
    expect(sent.map((r) => r.body)).toEqual([{ ...body, connector_event_id: 'scg:evt-1' }])
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
        env.DB.prepare(
          `INSERT INTO inbound_events (id, tenant_id, source, event_key, type, state, body, created_at, updated_at)
           VALUES (?, ?, 'scg', ?, 'message_state_change', 'injected', '{}', ?, ?)`,
        ).bind(key, tenant ?? OTHER_TENANT, key, at, at),
        env.DB.prepare(
          `INSERT INTO bulk_jobs (job_id, tenant_id, dedupe_key, state, upload_filename, bucket_name, created_at, updated_at)
           VALUES (?, ?, ?, 'done', 'f.csv', 'b', ?, ?)`,
        ).bind(key, tenant ?? OTHER_TENANT, key, at, at),
      ])
    }
    await insertAll(OTHER_TENANT, 'other-31d', 31)
    await insertAll(OTHER_TENANT, 'other-3d', 3)
    await insertAll(FIXTURE_TENANT, 'short-3d', 3)
    await insertAll(FIXTURE_TENANT, 'short-1d', 1)
    await insertAll(null, 'none-31d', 31)
    await insertAll(null, 'none-29d', 29)

    const report = await runScheduled(deps, now)
    expect(report.purged).toEqual({
      deliveries: 3,
      failed_requests: 3,
      webhook_events: 3,
      inbound_events: 3,
      bulk_jobs: 3,
    })
    const keys = async (sql: string) =>
      (await env.DB.prepare(sql).all<{ k: string }>()).results.map((r) => r.k).sort()
    const kept = ['none-29d', 'other-3d', 'short-1d']
    expect(await keys('SELECT guid AS k FROM deliveries')).toEqual(kept)
    expect(await keys('SELECT guid AS k FROM failed_requests')).toEqual(kept)
    expect(await keys('SELECT event_key AS k FROM webhook_events')).toEqual(kept)
    expect(await keys('SELECT event_key AS k FROM inbound_events')).toEqual(kept)
    expect(await keys('SELECT job_id AS k FROM bulk_jobs')).toEqual(kept)
  })
})
