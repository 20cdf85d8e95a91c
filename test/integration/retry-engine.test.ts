import { env } from 'cloudflare:workers'
import { beforeEach, describe, expect, it } from 'vitest'
import { FIXTURE_TENANT } from '../support/constants'
import { scgFake } from '../support/fake-control'
import { outboundEvent } from '../support/fixtures'
import { createHarness } from '../support/harness'
import { rows, wipeTables } from '../support/rows'
import { testTenant } from '../support/worker'

const S = 1000
const unavailable = { status: 503, body: { error_code: 'SCG_ERROR_5030', error_description: 'busy' } }

beforeEach(wipeTables)

/** Queue one event (its first attempt gets `first`) and return what the route answered. */
async function queueOne(t = testTenant(), patch?: (e: any) => void) {
  const h = createHarness([t], { via: 'app' })
  await scgFake.script(t.scgToken, [unavailable])
  const event = outboundEvent('outbound-sms', { now: h.clock.now(), ...(patch ? { patch } : {}) })
  const res = await h.post.scg(t, event)
  expect(res.status).toBe(202)
  const row = await rows.failedRequest(event.guid)
  return { t, h, clock: h.clock, event, row }
}

describe('retry engine: one row through its life', () => {
  it('retries a queued SCG message once due (not before) and records the delivery as sent', async () => {
    const { t, h, clock, event, row } = await queueOne()
    clock.set(row.next_attempt_at - 1)
    expect((await h.runCron()).attempted).toBe(0)
    expect(await scgFake.requests(t.scgToken)).toHaveLength(1)

    clock.set(row.next_attempt_at)
    const report = await h.runCron()
    expect(report).toMatchObject({ attempted: 1, states: { done: 1 }, errors: 0 })
    const sent = await scgFake.requests(t.scgToken)
    expect(sent).toHaveLength(2)
    expect(sent[1]?.body).toEqual(sent[0]?.body)

    expect(await rows.failedRequest(event.guid)).toMatchObject({
      state: 'done',
      attempts: 2,
      next_attempt_at: null,
      lease_until: null,
      lease_token: null,
    })
    const delivery = await rows.delivery(event.guid)
    expect(delivery).toMatchObject({ state: 'sent', attempts: 2 })
    expect(delivery.provider_message_id).toMatch(/^[\w-]{22}$/)
    expect(JSON.parse(delivery.history).map((h: any) => h.state)).toEqual(['sending', 'queued', 'sent'])
    expect(await env.IDENTITY_CACHE.get('phone:+14155550123', 'json')).toMatchObject({
      datahub_id: event.identityId,
      tenant_id: FIXTURE_TENANT,
    })

    clock.advance(3600 * S)
    expect((await h.runCron()).attempted).toBe(0)
    expect(await scgFake.requests(t.scgToken)).toHaveLength(2)
  })

  it('Retry-After: 120 puts the next attempt 120 s out, and it is not made before then', async () => {
    const { t, h, clock, event, row } = await queueOne()
    await scgFake.script(t.scgToken, [{ ...unavailable, headers: { 'retry-after': '120' } }])
    clock.set(row.next_attempt_at)
    const attemptAt = clock.now()
    await h.runCron()
    const after = await rows.failedRequest(event.guid)
    expect(after).toMatchObject({ state: 'pending', attempts: 2, http_status: 503 })
    expect(after.next_attempt_at - attemptAt).toBeGreaterThanOrEqual(120 * S)

    clock.set(attemptAt + 119 * S)
    await h.runCron()
    expect(await scgFake.requests(t.scgToken)).toHaveLength(2)
    clock.set(after.next_attempt_at)
    await h.runCron()
    expect(await scgFake.requests(t.scgToken)).toHaveLength(3)
    expect(await rows.failedRequest(event.guid)).toMatchObject({ state: 'done', attempts: 3 })
  })

  it('a permanent 400 on retry marks the row dead with the provider code, and it is not retried', async () => {
    const { t, h, clock, event, row } = await queueOne()
    await scgFake.script(t.scgToken, [
      { status: 400, body: { error_code: '4001', error_description: 'Invalid recipient' } },
    ])
    clock.set(row.next_attempt_at)
    expect((await h.runCron()).states.dead).toBe(1)
    const dead = await rows.failedRequest(event.guid)
    expect(dead).toMatchObject({ state: 'dead', attempts: 2, http_status: 400, next_attempt_at: null })
    expect(dead.last_error).toContain('4001')
    expect(await rows.delivery(event.guid)).toMatchObject({ state: 'rejected', attempts: 2 })

    clock.advance(5 * 3600 * S)
    await h.runCron()
    expect(await scgFake.requests(t.scgToken)).toHaveLength(2)
  })

  it('a row older than event_ttl expires without a provider call', async () => {
    const { t, h, clock, event } = await queueOne(testTenant(FIXTURE_TENANT, { event_ttl: '60' }))
    clock.set(event.date.generatedTimestamp + 61 * S)
    expect((await h.runCron()).states.expired).toBe(1)
    expect(await scgFake.requests(t.scgToken)).toHaveLength(1)
    const expired = await rows.failedRequest(event.guid)
    expect(expired).toMatchObject({ state: 'expired', attempts: 1, next_attempt_at: null })
    expect(expired.last_error).toContain('event_ttl')
    const delivery = await rows.delivery(event.guid)
    expect(delivery).toMatchObject({ state: 'expired', attempts: 1 })
    expect(JSON.parse(delivery.history).at(-1).state).toBe('expired')
  })

  it('stops at retry_max_attempts: the row and the delivery are dead, after exactly that many calls', async () => {
    const t = testTenant(FIXTURE_TENANT, { retry_max_attempts: '3' })
    await scgFake.script(t.scgToken, [], unavailable)
    const { h, clock, event } = await queueOne(t)
    for (let i = 0; i < 5; i++) {
      const row = await rows.failedRequest(event.guid)
      if (row.state !== 'pending') break
      clock.set(row.next_attempt_at)
      await h.runCron()
    }
    const dead = await rows.failedRequest(event.guid)
    expect(dead).toMatchObject({ state: 'dead', attempts: 3, http_status: 503 })
    expect(dead.last_error).toContain('gave up after 3 attempts')
    expect(await rows.delivery(event.guid)).toMatchObject({ state: 'dead', attempts: 3 })
    expect(await scgFake.requests(t.scgToken)).toHaveLength(3)
  })

  it('follows the backoff schedule 30 s, 1 m, 5 m, 15 m (±10 %) between attempts', async () => {
    const t = testTenant()
    await scgFake.script(t.scgToken, [], unavailable)
    const { h, clock, event } = await queueOne(t)
    const gaps: number[] = []
    let last = clock.now()
    for (let i = 0; i < 4; i++) {
      const row = await rows.failedRequest(event.guid)
      gaps.push(row.next_attempt_at - last)
      clock.set(row.next_attempt_at)
      last = clock.now()
      await h.runCron()
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
    const { t, h, clock, event, row } = await queueOne()
    const without = createHarness([], { clock })
    clock.set(row.next_attempt_at)
    await without.runCron()
    const waiting = await rows.failedRequest(event.guid)
    expect(waiting).toMatchObject({ state: 'pending', attempts: 2 })
    expect(waiting.last_error).toContain('tenant not configured')
    expect(waiting.next_attempt_at).toBeGreaterThan(clock.now())
    expect(await rows.delivery(event.guid)).toMatchObject({ state: 'queued', attempts: 1 })
    expect(await scgFake.requests(t.scgToken)).toHaveLength(1)

    clock.set(waiting.next_attempt_at)
    await h.runCron()
    expect(await rows.failedRequest(event.guid)).toMatchObject({ state: 'done', attempts: 3 })
    expect(await rows.delivery(event.guid)).toMatchObject({ state: 'sent', attempts: 2 })
  })

  it('a tenant that stays gone ends dead after retry_max_attempts, still without a call', async () => {
    const { t, clock, event, row } = await queueOne()
    const without = createHarness([], { clock, vars: { retry_max_attempts: '2' } })
    clock.set(row.next_attempt_at)
    await without.runCron()
    const dead = await rows.failedRequest(event.guid)
    expect(dead.state).toBe('dead')
    expect(dead.last_error).toContain('tenant not configured')
    expect(await rows.delivery(event.guid)).toMatchObject({ state: 'dead', attempts: 1 })
    expect(await scgFake.requests(t.scgToken)).toHaveLength(1)
  })

  it('a stored event that no longer builds (sender removed) is dead with INVALID_CREATIVE, not sent', async () => {
    const { t, clock, event, row } = await queueOne(testTenant(), (e) => {
      e.impression.creativeContent = 'TO:+14155550123;Hello without a FROM'
    })
    const changed = { ...t, secret: { ...t.secret, scg_default_sender: '' } }
    const changedHarness = createHarness([changed], { clock })
    clock.set(row.next_attempt_at)
    await changedHarness.runCron()
    const dead = await rows.failedRequest(event.guid)
    expect(dead.state).toBe('dead')
    expect(dead.last_error).toContain('INVALID_CREATIVE')
    expect(await rows.delivery(event.guid)).toMatchObject({ state: 'dead', attempts: 1 })
    expect(await scgFake.requests(t.scgToken)).toHaveLength(1)
  })
})
