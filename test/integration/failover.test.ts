import { env } from 'cloudflare:workers'
import { beforeEach, describe, expect, it } from 'vitest'
import { breakerName } from '../../src/breaker/state'
import { type RoutedTenant, routedTenant, SCG_SENDER, TWILIO_FROM } from '../support/failover'
import { ci360Fake, scgFake, twilioFake } from '../support/fake-control'
import { outboundEvent } from '../support/fixtures'
import { createHarness, type Harness } from '../support/harness'
import { rows, wipeTables } from '../support/rows'
import { statusParams, twilioErrorBody } from '../support/twilio'
import { json } from '../support/worker'

type Routed = RoutedTenant

const eventFor = (t: Routed) =>
  outboundEvent('outbound-sms-oneline', { patch: (e) => (e.externalTenantId = t.id) })
const scgSends = async (t: Routed) => (await scgFake.requests(t.scgToken)).length
const twilioSends = async (t: Routed) => (await twilioFake.requests(t.accountSid)).length
const attemptsOf = async (t: Routed, guid: string) =>
  JSON.parse((await rows.delivery(guid, t.id)).route_attempts ?? '[]') as {
    provider: string
    outcome: string
  }[]

const scgError = (status: number, code: string) => ({
  status,
  body: { error_code: code, error_description: `error ${code}` },
})

beforeEach(async () => {
  await wipeTables()
  await env.DB.prepare('DELETE FROM suppressions').run()
})

async function sendOnce(h: Harness, t: Routed) {
  const event = eventFor(t)
  const res = await h.post.scg(t, event)
  return { event, res, body: await json(res) }
}

describe('the outcome table: which SCG answers move the message to Twilio', () => {
  const failOver: [string, { status: number; body: unknown }][] = [
    ['503 / 5030 (service unavailable)', scgError(503, '5030')],
    ['429 (too many requests)', scgError(429, '4290')],
    ['401 / 4010 (token refused)', scgError(401, '4010')],
    ['402 / 4020 (no credit)', scgError(402, '4020')],
    ['403 / 4021 (sender not allowed)', scgError(403, '4021')],
    ['500 / 5000 (internal, before acceptance)', scgError(500, '5000')],
  ]
  for (const [name, answer] of failOver) {
    it(`SCG ${name}: sent once by Twilio at once, the chain recorded`, async () => {
      const t = routedTenant()
      const h = createHarness([t], { via: 'app' })
      await scgFake.script(t.scgToken, [answer])

      const { event, res, body } = await sendOnce(h, t)

      expect(res.status).toBe(200)
      expect(body).toMatchObject({ status: 'OK', provider: 'twilio' })
      expect(await scgSends(t)).toBe(1)
      expect(await twilioSends(t)).toBe(1)
      const [sent] = await twilioFake.requests(t.accountSid)
      expect((sent?.body as Record<string, string[]> | undefined)?.From).toEqual([TWILIO_FROM])
      expect(await rows.delivery(event.guid, t.id)).toMatchObject({
        state: 'sent',
        provider: 'twilio',
        sender: TWILIO_FROM,
      })
      const chain = await attemptsOf(t, event.guid)
      expect(chain.map((a) => [a.provider, a.outcome.split(':')[0]])).toEqual([
        ['scg', 'fail_over'],
        ['twilio', 'sent'],
      ])
    })
  }

  it('connection refused (nothing listening): Twilio sends at once, no look-up at SCG', async () => {
    const t = routedTenant({
      scg_api_url: 'http://127.0.0.1:1/scg-external-api/api/v1/messaging/message_requests',
    })
    const h = createHarness([t], { via: 'app' })

    const { event, body } = await sendOnce(h, t)

    expect(body).toMatchObject({ status: 'OK', provider: 'twilio' })
    expect(await twilioSends(t)).toBe(1)
    const chain = await attemptsOf(t, event.guid)
    expect(chain[0]?.outcome).toMatch(/^fail_over: refused/)
  })

  const finals: [string, { status: number; body: unknown }][] = [
    ['400 / 4001 (content)', scgError(400, '4001')],
    ['400 / 4002 (invalid number)', scgError(400, '4002')],
    ['400 / SCG_ERROR_40025 (payload)', scgError(400, 'SCG_ERROR_40025')],
    ['500 / 5001 (non-retriable)', scgError(500, '5001')],
  ]
  for (const [name, answer] of finals) {
    it(`SCG ${name}: final, never sent by Twilio`, async () => {
      const t = routedTenant()
      const h = createHarness([t], { via: 'app' })
      await scgFake.script(t.scgToken, [answer])

      const { event, res } = await sendOnce(h, t)

      expect(res.status).toBe(422)
      expect(await twilioSends(t)).toBe(0)
      expect(await rows.delivery(event.guid, t.id)).toMatchObject({ state: 'rejected', provider: 'scg' })
    })
  }
})

describe('Twilio first: its refusals that every provider would share stay final', () => {
  const twilioFirst = () =>
    routedTenant({
      routes: {
        SMS: [
          { provider: 'twilio', sender: TWILIO_FROM },
          { provider: 'scg', sender: SCG_SENDER },
        ],
      },
    })
  const cases: [string, number, number][] = [
    ['21610 (opted out)', 400, 21610],
    ['21211 (invalid To)', 400, 21211],
    ['21614 (not a mobile number)', 400, 21614],
    ['21619 (no body)', 400, 21619],
  ]
  for (const [name, status, code] of cases) {
    it(`Twilio ${name}: SCG is never asked`, async () => {
      const t = twilioFirst()
      const h = createHarness([t], { via: 'app' })
      await twilioFake.script(t.accountSid, [
        { status, body: twilioErrorBody(code, status, `error ${code}`) },
      ])

      const { res } = await sendOnce(h, t)

      expect(res.status).toBe(422)
      expect(await scgSends(t)).toBe(0)
    })
  }

  it('Twilio 21610: the number goes on the tenant list, so the next send by any route is suppressed', async () => {
    const t = twilioFirst()
    const h = createHarness([t], { via: 'app' })
    await twilioFake.script(t.accountSid, [
      { status: 400, body: twilioErrorBody(21610, 400, 'unsubscribed') },
    ])
    await sendOnce(h, t)

    const next = await sendOnce(h, t)

    expect(next.body).toMatchObject({ status: 'SUPPRESSED' })
    expect(await scgSends(t)).toBe(0)
    expect(await twilioSends(t)).toBe(1)
  })

  it('Twilio 429 / 20429: SCG sends it', async () => {
    const t = twilioFirst()
    const h = createHarness([t], { via: 'app' })
    await twilioFake.script(t.accountSid, [
      { status: 429, body: twilioErrorBody(20429, 429, 'Too Many Requests') },
    ])

    const { body } = await sendOnce(h, t)

    expect(body).toMatchObject({ status: 'OK', provider: 'scg' })
    expect(await scgSends(t)).toBe(1)
  })
})

describe('a timeout never causes a second send unless the look-up says "not found"', () => {
  it('SCG accepted it but answered too late: the look-up finds it, Twilio is never called', async () => {
    const t = routedTenant()
    const h = createHarness([t], { via: 'app' })
    await scgFake.script(t.scgToken, [{ acceptLateMs: 1_500 }])

    const { event, body } = await sendOnce(h, t)

    expect(body).toMatchObject({ status: 'OK', provider: 'scg' })
    expect(await twilioSends(t)).toBe(0)
    const chain = await attemptsOf(t, event.guid)
    expect(chain.map((a) => a.outcome.split(':')[0])).toEqual(['look_up', 'found'])
  })

  it('SCG never answered and has no such message: Twilio sends it', async () => {
    const t = routedTenant()
    const h = createHarness([t], { via: 'app' })
    await scgFake.script(t.scgToken, [{ hang: true, hangMs: 2_000 }])

    const { event, body } = await sendOnce(h, t)

    expect(body).toMatchObject({ status: 'OK', provider: 'twilio' })
    expect((await attemptsOf(t, event.guid)).map((a) => a.outcome.split(':')[0])).toEqual([
      'look_up',
      'not found',
      'sent',
    ])
  })

  it('a 502 and a look-up that fails: nothing moves; stored with an unknown outcome for the cron', async () => {
    const t = routedTenant()
    const h = createHarness([t], { via: 'app' })
    await scgFake.script(t.scgToken, [scgError(502, '5020')])
    await scgFake.script(`lookup:${t.scgToken}`, [{ status: 503, body: { error_code: '5030' } }])

    const { event, res } = await sendOnce(h, t)

    expect(res.status).toBe(202)
    expect(await twilioSends(t)).toBe(0)
    expect(await rows.delivery(event.guid, t.id)).toMatchObject({ state: 'queued', outcome_unknown: 1 })
  })
})

describe('the breaker', () => {
  it('opens after failover_open_after faults: later sends skip SCG; after failover_probe_seconds one probe goes to SCG and closes it', async () => {
    const t = routedTenant({ failover_open_after: 3, failover_probe_seconds: 60 })
    const h = createHarness([t], { via: 'app' })
    await scgFake.script(t.scgToken, [scgError(503, '5030'), scgError(503, '5030'), scgError(503, '5030')])
    for (let i = 0; i < 3; i++) await sendOnce(h, t)
    expect(await scgSends(t)).toBe(3)

    const skipped = await sendOnce(h, t)
    expect(skipped.body).toMatchObject({ provider: 'twilio' })
    expect(await scgSends(t)).toBe(3)
    expect((await attemptsOf(t, skipped.event.guid))[0]?.outcome).toBe('skipped: breaker open')

    h.clock.advance(61_000)
    const probe = await sendOnce(h, t)
    expect(probe.body).toMatchObject({ provider: 'scg' })
    const after = await sendOnce(h, t)
    expect(after.body).toMatchObject({ provider: 'scg' })
    expect(await twilioSends(t)).toBe(4)
  })

  it('two isolates see one breaker: faults through one app open it for another', async () => {
    const t = routedTenant({ failover_open_after: 2 })
    const a = createHarness([t], { via: 'app' })
    const b = createHarness([t], { via: 'app', clock: a.clock })
    await scgFake.script(t.scgToken, [scgError(503, '5030'), scgError(503, '5030')])
    await sendOnce(a, t)
    await sendOnce(a, t)

    const third = await sendOnce(b, t)

    expect(third.body).toMatchObject({ provider: 'twilio' })
    expect(await scgSends(t)).toBe(2)
    const ns = a.deps.breakers
    if (!ns) throw new Error('no breaker binding')
    const status = await ns.get(ns.idFromName(breakerName(t.id, 'scg'))).status(a.clock.now())
    expect(status.state).toBe('open')
  })
})

describe('status events and slow delivery', () => {
  it('a status for a message Twilio sent after SCG failed names Twilio and its sender in the CI360 event', async () => {
    const t = routedTenant()
    const h = createHarness([t], { via: 'app' })
    await scgFake.script(t.scgToken, [scgError(503, '5030')])
    const { event } = await sendOnce(h, t)
    const row = await rows.delivery(event.guid, t.id)

    const res = await h.post.twilioWebhook(
      `/v1/webhooks/twilio/${t.id}/status`,
      statusParams(t, row.provider_message_id, 'delivered'),
      t.authToken,
    )

    expect(res.status).toBe(200)
    const [sent] = (await ci360Fake.requests(t.ci360Key)).map((r) => r.body)
    expect(sent).toMatchObject({ eventName: 'Twilio Delivered', provider: 'twilio', sender: TWILIO_FROM })
  })

  it("more than 15 % of the last 15 minutes' sends without a receipt after 5 minutes opens the breaker", async () => {
    const t = routedTenant()
    const h = createHarness([t], { via: 'app' })
    const guids: string[] = []
    for (let i = 0; i < 20; i++) guids.push((await sendOnce(h, t)).event.guid)
    // Receipts for 17 of 20 (15 % without): not yet slow.
    const settle = (n: number) =>
      env.DB.batch(
        guids
          .slice(0, n)
          .map((g) =>
            env.DB.prepare(
              `UPDATE deliveries SET provider_status = 'DELIVERED' WHERE tenant_id = ? AND guid = ?`,
            ).bind(t.id, g),
          ),
      )
    await settle(17)
    h.clock.advance(6 * 60_000)
    expect((await h.runCron()).slowBreakers).toEqual([])

    await env.DB.prepare(`UPDATE deliveries SET provider_status = NULL WHERE tenant_id = ? AND guid = ?`)
      .bind(t.id, guids[0])
      .run()
    expect((await h.runCron()).slowBreakers).toEqual([`${t.id}/scg`])
    const next = await sendOnce(h, t)
    expect(next.body).toMatchObject({ provider: 'twilio' })
    expect(await scgSends(t)).toBe(20)
  })
})

describe('the other send paths follow the routes too', () => {
  it('queued: the consumer fails over, and sent_event names the route that sent it', async () => {
    const t = routedTenant({ send_mode: 'queued', sent_event: 'SMS Sent' })
    const h = createHarness([t], { via: 'app' })
    await scgFake.script(t.scgToken, [scgError(503, '5030')])
    const event = eventFor(t)
    expect((await h.post.scg(t, event)).status).toBe(202)

    await h.drainSends()

    expect(await rows.delivery(event.guid, t.id)).toMatchObject({ state: 'sent', provider: 'twilio' })
    const sent = (await ci360Fake.requests(t.ci360Key))
      .map((r) => r.body)
      .find((b) => b.eventName === 'SMS Sent')
    expect(sent).toMatchObject({ provider: 'twilio', sender: TWILIO_FROM })
  })

  it('both routes down: stored for the cron, which sends it by the first route that works', async () => {
    const t = routedTenant()
    const h = createHarness([t], { via: 'app' })
    await scgFake.script(t.scgToken, [scgError(503, '5030')])
    await twilioFake.script(t.accountSid, [{ status: 503, body: twilioErrorBody(20503, 503, 'unavailable') }])
    const { event, res } = await sendOnce(h, t)
    expect(res.status).toBe(202)

    h.clock.advance(60_000)
    await h.runCron()

    expect(await rows.delivery(event.guid, t.id)).toMatchObject({ state: 'sent', provider: 'scg' })
    expect(await scgSends(t)).toBe(2)
    expect(await twilioSends(t)).toBe(1)
    expect((await attemptsOf(t, event.guid)).map((a) => `${a.provider} ${a.outcome.split(':')[0]}`)).toEqual([
      'scg fail_over',
      'twilio fail_over',
      'scg sent',
    ])
  })
})

describe('at most once across both providers', () => {
  it('concurrent redeliveries and cron runs while SCG drops the connection: one message in all', async () => {
    const t = routedTenant()
    const h = createHarness([t], { via: 'app' })
    await scgFake.script(t.scgToken, [{ drop: true }], { acceptLateMs: 0 })
    const event = eventFor(t)

    await Promise.all([...Array.from({ length: 5 }, () => h.post.scg(t, event)), h.runCron(), h.runCron()])
    h.clock.advance(10 * 60_000)
    await Promise.all([h.runCron(), h.post.scg(t, event), h.runCron()])

    const scgStored = (await (
      await fetch(`${scgListUrl(t)}?external_id=${encodeURIComponent(externalIdOf(t, event))}`, {
        headers: { authorization: `Bearer ${t.scgToken}` },
      })
    ).json()) as { total: number }
    const twilioCreated = (await twilioFake.requests(t.accountSid)).length
    expect(scgStored.total + twilioCreated).toBe(1)
  })
})

const scgListUrl = (t: Routed) => String(t.secret.scg_api_url)
const externalIdOf = (t: Routed, event: any) =>
  `${event.identityId}|${event.properties.externalCode}|${t.id}|${event.guid}`
