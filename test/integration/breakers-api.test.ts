import { env } from 'cloudflare:workers'
import { beforeEach, describe, expect, it } from 'vitest'
import { scgEnvelope } from '../support/event-manager'
import { routedTenant as routedTenantOf, SCG_SENDER, TWILIO_FROM } from '../support/failover'
import { scgFake, twilioFake } from '../support/fake-control'
import { outboundEvent } from '../support/fixtures'
import { createHarness, type Harness } from '../support/harness'
import { rows, wipeTables } from '../support/rows'
import { json } from '../support/worker'

const uniq = () => crypto.randomUUID().replaceAll('-', '').slice(0, 12)

/** A routed tenant that also takes Event Manager receipts (Basic credentials). */
function routedTenant(extra: Record<string, unknown> = {}) {
  const webhook = {
    username: `bk-user-${uniq()}`,
    password: `bk-pass-${uniq()}`,
    clientId: '',
    clientSecret: '',
  }
  const t = routedTenantOf({
    scg_webhook: { basic: { username: webhook.username, password: webhook.password } },
    ...extra,
  })
  return { ...t, webhook }
}
type Routed = ReturnType<typeof routedTenant>

const scg503 = { status: 503, body: { error_code: '5030', error_description: 'unavailable' } }
const scgSends = async (t: Routed) => (await scgFake.requests(t.scgToken)).length
const twilioSends = async (t: Routed) => (await twilioFake.requests(t.accountSid)).length

async function send(h: Harness, t: Routed) {
  const event = outboundEvent('outbound-sms-oneline', { patch: (e) => (e.externalTenantId = t.id) })
  const res = await h.post.scg(t, event)
  return { guid: event.guid as string, body: await json(res), status: res.status }
}

const breakers = async (h: Harness, t: Routed) => {
  const res = await h.post.admin(t, '/breakers')
  expect(res.status).toBe(200)
  return json(res)
}
const force = (h: Harness, t: Routed, provider: string, body: unknown) =>
  h.post.admin(t, `/breakers/${provider}`, {
    method: 'POST',
    body: typeof body === 'string' ? body : JSON.stringify(body),
    headers: { 'content-type': 'application/json' },
  })

beforeEach(async () => {
  await wipeTables()
  await env.DB.prepare('DELETE FROM suppressions').run()
})

describe('GET /v1/tenants/:tenant/breakers', () => {
  it('lists both routed providers closed; five SCG 503s open the scg breaker, shown with its reason', async () => {
    const t = routedTenant()
    const h = createHarness([t], { via: 'app' })

    const first = await breakers(h, t)
    expect(first).toMatchObject({ status: 'OK', breaker_unavailable: false })
    expect(first.items.map((i: any) => [i.provider, i.state, i.forced, i.faults])).toEqual([
      ['scg', 'closed', null, 0],
      ['twilio', 'closed', null, 0],
    ])

    await scgFake.script(t.scgToken, [scg503, scg503, scg503, scg503, scg503])
    for (let i = 0; i < 5; i++) expect((await send(h, t)).body).toMatchObject({ provider: 'twilio' })

    const after = await breakers(h, t)
    const scg = after.items.find((i: any) => i.provider === 'scg')
    expect(scg).toMatchObject({ state: 'open', forced: null })
    expect(scg.reason).toEqual(expect.any(String))
    expect(Date.parse(scg.opened_at)).toBeGreaterThan(0)
    expect(scg.history.at(-1)).toMatchObject({ from: 'closed', to: 'open' })
    expect(after.items.find((i: any) => i.provider === 'twilio')).toMatchObject({ state: 'closed' })

    // The next send skips SCG altogether.
    const before = await scgSends(t)
    const { guid, body } = await send(h, t)
    expect(body).toMatchObject({ provider: 'twilio' })
    expect(await scgSends(t)).toBe(before)

    // The delivery record shows the chain.
    const record = await json(await h.post.admin(t, `/messages/${guid}`))
    expect(record.sender).toBe(TWILIO_FROM)
    expect(record.route_attempts.map((a: any) => [a.provider, a.sender, a.outcome])).toEqual([
      ['scg', SCG_SENDER, 'skipped: breaker open'],
      ['twilio', TWILIO_FROM, 'sent'],
    ])
    expect(Date.parse(record.route_attempts[0].at)).toBeGreaterThan(0)
  })

  it('a tenant without routes has no breakers', async () => {
    const t = routedTenant({ routes: undefined })
    const h = createHarness([t], { via: 'app' })
    expect(await breakers(h, t)).toEqual({ status: 'OK', items: [], breaker_unavailable: false })
    expect((await force(h, t, 'scg', { force: 'open' })).status).toBe(400)
  })
})

describe('POST /v1/tenants/:tenant/breakers/:provider', () => {
  it('forced open: the next send goes to Twilio without an SCG request; closed and null as well', async () => {
    const t = routedTenant()
    const h = createHarness([t], { via: 'app' })

    const opened = await force(h, t, 'scg', { force: 'open' })
    expect(opened.status).toBe(200)
    const view = (await json(opened)).item
    expect(view).toMatchObject({ provider: 'scg', state: 'open', forced: 'open' })
    expect(view.history.at(-1)).toMatchObject({ from: 'closed', to: 'open' })
    expect(view.history.at(-1).reason).toMatch(/key:[0-9a-f]{8}/)

    const r1 = await send(h, t)
    expect(r1.body).toMatchObject({ provider: 'twilio' })
    expect(await scgSends(t)).toBe(0)
    expect(await twilioSends(t)).toBe(1)

    // Forced closed: SCG sends even after faults that would open it.
    await scgFake.script(t.scgToken, [scg503, scg503, scg503, scg503, scg503])
    const closed = await json(await force(h, t, 'scg', { force: 'closed' }))
    expect(closed.item).toMatchObject({ state: 'closed', forced: 'closed' })
    for (let i = 0; i < 5; i++) await send(h, t)
    expect(await scgSends(t)).toBe(5)
    const r2 = await send(h, t)
    expect(r2.body).toMatchObject({ provider: 'scg' })
    expect(await scgSends(t)).toBe(6)

    // Released: the breaker decides by itself again.
    const released = await json(await force(h, t, 'scg', { force: null }))
    expect(released.item.forced).toBeNull()
    expect((await breakers(h, t)).items[0]).toMatchObject({ provider: 'scg', forced: null })
  })

  it('answers 400 for a bad body or a provider the routes do not name', async () => {
    const t = routedTenant({ routes: { SMS: [{ provider: 'scg', sender: SCG_SENDER }] } })
    const h = createHarness([t], { via: 'app' })
    for (const body of [{ force: 'half_open' }, {}, { force: 1 }, '[]']) {
      const res = await force(h, t, 'scg', body)
      expect(res.status).toBe(400)
      expect((await json(res)).error.code).toBe('VALIDATION_FAILED')
    }
    const twilio = await force(h, t, 'twilio', { force: 'open' })
    expect(twilio.status).toBe(400)
    expect((await json(twilio)).error).toMatchObject({ code: 'VALIDATION_FAILED', fields: ['provider'] })
    expect((await force(h, t, 'nope', { force: 'open' })).status).toBe(400)
    expect((await force(h, t, 'scg', 'not json')).status).toBe(400)
  })

  it("answers 401 without the admin key, with a CI360 key or another tenant's admin key", async () => {
    const t = routedTenant()
    const other = routedTenant()
    const h = createHarness([t, other], { via: 'app' })
    for (const key of [undefined, t.apiKey, other.adminKey]) {
      const headers: Record<string, string> = key ? { 'x-api-key': key } : {}
      expect((await h.request(`/v1/tenants/${t.id}/breakers`, { headers })).status).toBe(401)
      const post = await h.request(`/v1/tenants/${t.id}/breakers/scg`, {
        method: 'POST',
        body: JSON.stringify({ force: 'open' }),
        headers: { ...headers, 'content-type': 'application/json' },
      })
      expect(post.status).toBe(401)
      expect((await h.request(`/v1/tenants/${t.id}/stats/providers`, { headers })).status).toBe(401)
    }
    expect((await breakers(h, t)).items[0]).toMatchObject({ provider: 'scg', forced: null })
  })
})

describe('GET /v1/tenants/:tenant/stats/providers', () => {
  async function receipt(h: Harness, t: Routed, guid: string) {
    const row = await rows.delivery(guid, t.id)
    const requests = await scgFake.requests(t.scgToken)
    const request =
      requests.find((r: any) => r.body?.external_id?.includes(guid.slice(0, 8))) ?? requests.at(-1)
    const envelope = scgEnvelope('scg-status-delivered', (e) => {
      e.event['fld-val-list'].message_request_id = row.provider_message_id
      e.event['fld-val-list'].external_message_request_id = (request?.body as any)?.external_id
    })
    const res = await h.eventManager(t).deliver(envelope)
    expect(res.status).toBe(200)
    expect((await rows.delivery(guid, t.id)).provider_status).toBe('DELIVERED')
  }

  it('per provider: sends, delivered %, median time to receipt, no receipt after 5 minutes', async () => {
    const t = routedTenant()
    const h = createHarness([t], { via: 'app' })
    // Four SCG sends, then one that fails over to Twilio.
    const scg: string[] = []
    for (let i = 0; i < 4; i++) scg.push((await send(h, t)).guid)
    await scgFake.script(t.scgToken, [scg503])
    expect((await send(h, t)).body).toMatchObject({ provider: 'twilio' })

    // Receipts after 10 s, 20 s and 40 s; the fourth SCG send has none.
    for (const [guid, wait] of [
      [scg[0], 10_000],
      [scg[1], 10_000],
      [scg[2], 20_000],
    ] as const) {
      h.clock.advance(wait)
      await receipt(h, t, guid as string)
    }

    const early = await json(await h.post.admin(t, '/stats/providers'))
    expect(early).toMatchObject({ status: 'OK', window_minutes: 15 })
    expect(early.items).toEqual([
      {
        provider: 'scg',
        sends: 4,
        delivered: 3,
        delivered_pct: 75,
        median_receipt_seconds: 20,
        no_receipt_after_5m: 0,
        no_receipt_after_5m_pct: 0,
      },
      {
        provider: 'twilio',
        sends: 1,
        delivered: 0,
        delivered_pct: 0,
        median_receipt_seconds: null,
        no_receipt_after_5m: 0,
        no_receipt_after_5m_pct: 0,
      },
    ])

    // Six minutes on: the two without a receipt count; a 1-minute window holds nothing.
    h.clock.advance(6 * 60_000)
    const later = await json(await h.post.admin(t, '/stats/providers?window_minutes=60'))
    expect(
      later.items.map((i: any) => [i.provider, i.no_receipt_after_5m, i.no_receipt_after_5m_pct]),
    ).toEqual([
      ['scg', 1, 25],
      ['twilio', 1, 100],
    ])
    expect((await json(await h.post.admin(t, '/stats/providers?window_minutes=1'))).items).toEqual([])
  })

  it('answers 400 for a bad window', async () => {
    const t = routedTenant()
    const h = createHarness([t], { via: 'app' })
    for (const w of ['0', '1441', 'x', '1.5']) {
      const res = await h.post.admin(t, `/stats/providers?window_minutes=${w}`)
      expect(res.status).toBe(400)
    }
  })
})
