import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { beforeEach, describe, expect, it } from 'vitest'
import { BindingCounter, countD1, countKV } from '../../bench/worker/counter'
import { runScheduled } from '../../src/scheduled'
import { appWith } from '../support/app'
import { createClock } from '../support/clock'
import { scgFake, twilioFake } from '../support/fake-control'
import { outboundEvent } from '../support/fixtures'
import { genesysTenant, hubSignature256, openMessage } from '../support/genesys'
import { createHarness } from '../support/harness'
import { rows, wipeTables } from '../support/rows'
import { twilioTenant } from '../support/twilio'
import { envWith, json, type TestTenant, testTenant } from '../support/worker'

/**
 * Quiet hours (docs/compliance.md): a CI360 send whose recipient is inside the tenant's window is
 * stored and answered 202 DEFERRED; the cron sends it after the window's end, checking again first.
 * The fixture's recipient is +1 415 (America/Los_Angeles).
 */

const QUIET = { start: '21:00', end: '08:00', zone: 'recipient', exempt: ['TSK_EXEMPT'] }
/** 23:00 in Los Angeles (PDT, UTC-7). */
const NIGHT = Date.parse('2026-06-10T06:00:00Z')
/** 08:00 in Los Angeles the next morning: the window's end. */
const MORNING = Date.parse('2026-06-10T15:00:00Z')
const HALF_HOUR = 30 * 60_000

beforeEach(wipeTables)

type App = ReturnType<typeof createHarness>['app']
/** A CI360 event to the tenant's SCG route of `app`. */
const postScg = (app: App, tenant: TestTenant, event: unknown) =>
  app.request(`https://connector.example.com/v1/tenants/${tenant.id}/scg/messages`, {
    method: 'POST',
    headers: { 'x-api-key': tenant.apiKey, 'content-type': 'text/plain;charset=UTF-8' },
    body: JSON.stringify(event),
  })

/** `quiet` null: a tenant without quiet hours. */
function setup(quiet: unknown = QUIET, at = NIGHT) {
  const t = testTenant(undefined, quiet === null ? {} : { quiet_hours: quiet })
  const clock = createClock(at)
  const { app, deps } = createHarness([t], { clock, via: 'app' })
  const event = outboundEvent('outbound-sms', { now: clock.now() })
  return { t, clock, app, deps, event }
}

const cronAt = (deps: Parameters<typeof runScheduled>[0], at: number) => runScheduled(deps, at)

describe('CI360 sends inside the window', () => {
  it('23:00 at the recipient → 202 DEFERRED, nothing sent; the cron sends it once after 08:00', async () => {
    const { t, clock, app, deps, event } = setup()
    const res = await postScg(app, t, event)
    expect(res.status).toBe(202)
    const body = await json(res)
    expect(body).toEqual({ status: 'DEFERRED', guid: event.guid, send_at: expect.any(String) })
    const sendAt = Date.parse(body.send_at)
    expect(sendAt).toBeGreaterThanOrEqual(MORNING)
    expect(sendAt).toBeLessThan(MORNING + HALF_HOUR)
    expect(await scgFake.requests(t.scgToken)).toHaveLength(0)
    expect(await rows.delivery(event.guid)).toMatchObject({ state: 'deferred', attempts: 0 })
    expect(await rows.failedRequest(event.guid)).toMatchObject({
      kind: 'scg',
      state: 'pending',
      attempts: 0,
      next_attempt_at: sendAt,
      // The deadline counts from the window's end, not from the event.
      generated_timestamp: MORNING,
    })

    // A redelivery is a duplicate, still nothing sent.
    const again = await postScg(app, t, event)
    expect(again.status).toBe(200)
    expect(await json(again)).toEqual({ status: 'DUPLICATE', guid: event.guid, state: 'deferred' })

    // The cron before send_at leaves it alone.
    clock.set(MORNING - 60_000)
    expect(await cronAt(deps, clock.now())).toMatchObject({ attempted: 0 })
    expect(await scgFake.requests(t.scgToken)).toHaveLength(0)

    // At send_at, 9 hours after the event (event_ttl is 1 h): sent once.
    clock.set(sendAt)
    expect(await cronAt(deps, clock.now())).toMatchObject({ attempted: 1, states: { done: 1 } })
    const sent = await scgFake.requests(t.scgToken)
    expect(sent).toHaveLength(1)
    expect(sent[0]?.body).toMatchObject({ to: ['+14155550123'] })
    expect(await rows.delivery(event.guid)).toMatchObject({ state: 'sent', attempts: 1, event_body: null })
    clock.advance(24 * 3600_000)
    await cronAt(deps, clock.now())
    expect(await scgFake.requests(t.scgToken)).toHaveLength(1)
  })

  it('the same guid gets the same send_at; different guids are spread', async () => {
    const { t, app } = setup()
    const times = new Set<string>()
    for (let i = 0; i < 6; i++) {
      const res = await postScg(app, t, outboundEvent('outbound-sms', { now: NIGHT }))
      times.add((await json(res)).send_at)
    }
    expect(times.size).toBeGreaterThan(3)
  })

  it('a deadline past the window: expires event_ttl after the window end, unsent', async () => {
    const { t, clock, app, deps, event } = setup()
    expect((await postScg(app, t, event)).status).toBe(202)
    clock.set(MORNING + 3600_000 + 60_000)
    expect(await cronAt(deps, clock.now())).toMatchObject({ attempted: 1, states: { expired: 1 } })
    expect(await scgFake.requests(t.scgToken)).toHaveLength(0)
    expect(await rows.delivery(event.guid)).toMatchObject({ state: 'expired' })
  })

  it('an exempt task (externalCode) is sent at once', async () => {
    const { t, app, event } = setup()
    event.properties.externalCode = 'TSK_EXEMPT'
    const res = await postScg(app, t, event)
    expect(res.status).toBe(200)
    expect(await json(res)).toMatchObject({ status: 'OK', guid: event.guid })
    expect(await scgFake.requests(t.scgToken)).toHaveLength(1)
  })

  it('an exempt task (taskId) is sent at once', async () => {
    const { t, app, event } = setup({ ...QUIET, exempt: ['9a4c2e6f-0d1b-4f83-b7e5-2c8a6d4f1e03'] })
    expect((await postScg(app, t, event)).status).toBe(200)
    expect(await scgFake.requests(t.scgToken)).toHaveLength(1)
  })

  it('a tenant without quiet_hours sends at night as before', async () => {
    const { t, app, event } = setup(null)
    const res = await postScg(app, t, event)
    expect(res.status).toBe(200)
    expect(await json(res)).toMatchObject({ status: 'OK' })
    expect(await scgFake.requests(t.scgToken)).toHaveLength(1)
    expect(await rows.failedRequest(event.guid)).toBeNull()
  })

  it('the setting as JSON text, with a fixed zone: 10:00 in Tokyo is outside the window', async () => {
    const { t, app, event } = setup(
      JSON.stringify({ ...QUIET, zone: 'Asia/Tokyo' }),
      Date.parse('2026-06-10T01:00:00Z'),
    )
    expect((await postScg(app, t, event)).status).toBe(200)
    expect(await scgFake.requests(t.scgToken)).toHaveLength(1)
  })

  it('the Twilio route is held the same way', async () => {
    const t = twilioTenant(undefined, { quiet_hours: QUIET })
    const clock = createClock(NIGHT)
    const { app, deps } = createHarness([t], { clock, via: 'app' })
    const event = outboundEvent('outbound-twilio', { now: clock.now() })
    const res = await postTwilio(app, t, event)
    expect(res.status).toBe(202)
    const body = await json(res)
    expect(body.status).toBe('DEFERRED')
    expect(await twilioFake.requests(t.accountSid)).toHaveLength(0)
    expect(await rows.failedRequest(event.guid)).toMatchObject({ kind: 'twilio', state: 'pending' })
    clock.set(Date.parse(body.send_at))
    expect(await cronAt(deps, clock.now())).toMatchObject({ states: { done: 1 } })
    expect(await twilioFake.requests(t.accountSid)).toHaveLength(1)
  })
})

describe('the cron checks quiet hours again', () => {
  it('a retry that falls inside the window is deferred again, not sent, and its attempt is not counted', async () => {
    // 20:59:50 in Los Angeles: sent at once, but SCG is down; the retry is due ~30 s later, after 21:00.
    const { t, clock, app, deps, event } = setup(QUIET, Date.parse('2026-06-10T03:59:50Z'))
    await scgFake.script(t.scgToken, [
      { status: 503, body: { error_code: 'SCG_ERROR_5030', error_description: 'busy' } },
    ])
    expect(await json(await postScg(app, t, event))).toMatchObject({ status: 'QUEUED' })
    const queued = await rows.failedRequest(event.guid)
    expect(queued.next_attempt_at).toBeGreaterThan(Date.parse('2026-06-10T04:00:00Z'))
    clock.set(queued.next_attempt_at)
    expect(await cronAt(deps, clock.now())).toMatchObject({ attempted: 1, states: { pending: 1 } })
    expect(await scgFake.requests(t.scgToken)).toHaveLength(1)
    const deferred = await rows.failedRequest(event.guid)
    expect(deferred).toMatchObject({ state: 'pending', attempts: 1, generated_timestamp: MORNING })
    expect(deferred.next_attempt_at).toBeGreaterThanOrEqual(MORNING)
    expect(deferred.next_attempt_at).toBeLessThan(MORNING + HALF_HOUR)
    expect(await rows.delivery(event.guid)).toMatchObject({ state: 'deferred' })

    clock.set(deferred.next_attempt_at)
    expect(await cronAt(deps, clock.now())).toMatchObject({ states: { done: 1 } })
    expect(await scgFake.requests(t.scgToken)).toHaveLength(2)
    expect(await rows.delivery(event.guid)).toMatchObject({ state: 'sent', attempts: 2 })
  })

  it("an operator's Retry at night is deferred again (202 QUEUED until send_at), nothing sent", async () => {
    const { t, clock, app, event } = setup()
    const { send_at } = await json(await postScg(app, t, event))
    const row = await rows.failedRequest(event.guid)
    clock.advance(5 * 60_000)
    const res = await app.request(
      `https://connector.example.com/v1/tenants/${t.id}/failed-requests/${row.id}/retry`,
      {
        method: 'POST',
        headers: { 'x-api-key': t.adminKey },
      },
    )
    expect(res.status).toBe(202)
    expect(await json(res)).toMatchObject({
      status: 'QUEUED',
      id: row.id,
      retry_at: send_at,
      attempts: 0,
      last_error: expect.stringContaining('quiet hours'),
    })
    expect(await scgFake.requests(t.scgToken)).toHaveLength(0)
    expect(await rows.delivery(event.guid)).toMatchObject({ state: 'deferred', attempts: 0 })
  })

  it('a deferred row whose tenant has since dropped quiet_hours is sent when due', async () => {
    const { t, app, event } = setup()
    const { send_at } = await json(await postScg(app, t, event))
    const plain = { ...t, secret: { ...t.secret, quiet_hours: undefined } }
    const later = createClock(Date.parse(send_at))
    const { deps } = createHarness([plain as TestTenant], { clock: later, via: 'app' })
    expect(await cronAt(deps, later.now())).toMatchObject({ states: { done: 1 } })
    expect(await scgFake.requests(t.scgToken)).toHaveLength(1)
  })
})

describe('Genesys', () => {
  it('an agent reply at night is sent at once, and so is its retry: the customer started the conversation', async () => {
    const g = genesysTenant({ quiet_hours: QUIET })
    const clock = createClock(NIGHT)
    const { app, deps } = createHarness([g], { clock, via: 'app' })
    await scgFake.script(g.scgToken, [
      { status: 503, body: { error_code: 'SCG_ERROR_5030', error_description: 'busy' } },
    ])
    const msg = openMessage()
    const raw = JSON.stringify(msg)
    const res = await app.request(`https://connector.example.com/v1/genesys/${g.id}/open-messaging`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-hub-signature-256': hubSignature256(g.outboundSecret, raw),
      },
      body: raw,
    })
    expect(await json(res)).toMatchObject({ status: 'QUEUED', id: msg.id })
    const row = await env.DB.prepare('SELECT * FROM failed_requests WHERE guid = ?')
      .bind(`genesys:${msg.id}`)
      .first<any>()
    clock.set(row.next_attempt_at)
    expect(await cronAt(deps, clock.now())).toMatchObject({ states: { done: 1 } })
    expect(await scgFake.requests(g.scgToken)).toHaveLength(2)
  })
})

describe('what quiet hours cost on the send path (D1/KV calls before the reply)', () => {
  async function countedPost(at: number) {
    const t = testTenant(undefined, { quiet_hours: QUIET })
    const counter = new BindingCounter()
    const { app } = appWith(envWith([t]), {
      now: () => at,
      db: countD1(env.DB, () => counter),
      kv: countKV(env.IDENTITY_CACHE, () => counter),
    })
    const event = outboundEvent('outbound-sms', { now: at })
    const ctx = createExecutionContext()
    const res = await app.fetch(
      new Request(`https://connector.example.com/v1/tenants/${t.id}/scg/messages`, {
        method: 'POST',
        headers: { 'x-api-key': t.apiKey, 'content-type': 'text/plain;charset=UTF-8' },
        body: JSON.stringify(event),
      }),
      envWith([t]),
      ctx,
    )
    counter.markReplied()
    await waitOnExecutionContext(ctx)
    return { status: res.status, body: await json(res), beforeReply: counter.beforeReply }
  }

  it('deferred: the claim and one batch (failed request + delivery), no provider call, no KV', async () => {
    const r = await countedPost(NIGHT)
    expect(r.body.status).toBe('DEFERRED')
    expect(r.beforeReply).toEqual({ d1: 2, kv: 0, d1Sequential: 2, kvSequential: 0, sequential: 2 })
  })

  it('outside the window: the same calls as a send without quiet hours (claim, update to sent)', async () => {
    const r = await countedPost(MORNING + 3600_000)
    expect(r.body.status).toBe('OK')
    expect(r.beforeReply).toEqual({ d1: 2, kv: 0, d1Sequential: 2, kvSequential: 0, sequential: 2 })
  })
})

function postTwilio(app: App, t: TestTenant, event: unknown) {
  return app.request(`https://connector.example.com/v1/tenants/${t.id}/twilio/messages`, {
    method: 'POST',
    headers: { 'x-api-key': t.apiKey, 'content-type': 'text/plain;charset=UTF-8' },
    body: JSON.stringify(event),
  })
}
