import { env } from 'cloudflare:workers'
import { beforeEach, describe, expect, it } from 'vitest'
import type { SuppressionEntry } from '../../src/storage/suppressions'
import scgMoOptOutPhrase from '../fixtures/providers/scg-mo-opt-out-phrase.json'
import scgMoSentence from '../fixtures/providers/scg-mo-sentence-with-stop.json'
import scgMoStart from '../fixtures/providers/scg-mo-start.json'
import scgMoStop from '../fixtures/providers/scg-mo-stop.json'
import twilioInboundStop from '../fixtures/providers/twilio-inbound-stop.form?raw'
import { FIXTURE_TENANT, OTHER_TENANT } from '../support/constants'
import { createEventManager, viaApp } from '../support/event-manager'
import { ci360Fake } from '../support/fake-control'
import { outboundEvent } from '../support/fixtures'
import { createHarness } from '../support/harness'
import { rows, wipeTables } from '../support/rows'
import { cacheIdentity, webhookTenant } from '../support/scg-webhook'
import { inboundParams, type Params, type TwilioTestTenant, twilioTenant } from '../support/twilio'
import { json } from '../support/worker'

/**
 * Opt-out and opt-in words on inbound messages (docs/compliance.md, "Keywords: STOP and START"): the
 * sender's entry in `suppressions`, the audit row, the CI360 events, on Twilio inbound and SCG MO.
 */

const EVENTS = { opt_out_event: 'Customer Opted Out', opt_in_event: 'Customer Opted In' }
const OUR_NUMBER = '+18885550100'

let sequence = Math.floor(Math.random() * 5000)
const freshNumber = () => `+1646555${String(sequence++).padStart(4, '0')}`
const sid = () => `SM${crypto.randomUUID().replaceAll('-', '')}`

beforeEach(async () => {
  await wipeTables()
  await env.DB.batch([
    env.DB.prepare('DELETE FROM suppressions'),
    env.DB.prepare('DELETE FROM suppression_changes'),
  ])
})

const entriesOf = async (tenantId: string, address: string) =>
  (
    await env.DB.prepare(
      'SELECT channel, sender, source, keyword, evidence FROM suppressions WHERE tenant_id = ? AND address = ? ORDER BY source, sender',
    )
      .bind(tenantId, address)
      .all<Record<string, unknown>>()
  ).results

const changesOf = async (tenantId: string, address: string) =>
  (
    await env.DB.prepare(
      'SELECT action, source, actor, sender FROM suppression_changes WHERE tenant_id = ? AND address = ? ORDER BY id',
    )
      .bind(tenantId, address)
      .all<Record<string, unknown>>()
  ).results

/** A Twilio tenant (with the opt events unless `overrides` says otherwise) on a harness built on the app. */
function twilioSetup(overrides: Record<string, unknown> = {}, tenants: TwilioTestTenant[] = []) {
  const t = twilioTenant(FIXTURE_TENANT, { ...EVENTS, ...overrides })
  const h = createHarness([t, ...tenants], { via: 'app' })
  const inbound = (params: Params, tenant: TwilioTestTenant = t) =>
    h.post.twilioWebhook(`/v1/webhooks/twilio/${tenant.id}/inbound`, params, tenant.authToken)
  /** A campaign message to `phone` through the Twilio route, with this responseTrackingCode. */
  async function sendTo(phone: string, rtc: string, tenant: TwilioTestTenant = t, channel = '') {
    const event = outboundEvent('outbound-twilio', {
      patch: (e) => {
        e.externalTenantId = tenant.id
        e.responseTrackingCode = rtc
        if (e.contactResponse) e.contactResponse.responseTrackingCode = rtc
        e.impression.creativeContent = `TO:${phone};FROM:${OUR_NUMBER};${channel}Hello`
      },
    })
    expect((await json(await h.post.twilio(tenant, event))).status).toBe('OK')
    return event
  }
  const events = async (tenant: TwilioTestTenant = t) =>
    (await ci360Fake.requests(tenant.ci360Key)).map((r) => r.body)
  return { t, h, inbound, sendTo, events }
}

/** The Twilio fixture with Advanced Opt-Out's `OptOutType`, for tenant `t`, from `from`, with `body`. */
function fixtureParams(t: TwilioTestTenant, from: string, body: string, optOutType?: string): Params {
  const params: Params = Object.fromEntries(new URLSearchParams(twilioInboundStop))
  const id = sid()
  Object.assign(params, {
    AccountSid: t.accountSid,
    MessageSid: id,
    SmsSid: id,
    SmsMessageSid: id,
    From: from,
    Body: body,
  })
  if (optOutType === undefined) delete params.OptOutType
  else params.OptOutType = optOutType
  return params
}

describe('Twilio inbound keywords', () => {
  it('STOP: the sender is suppressed (source keyword), the MO event goes on, opt_out_event carries identity, channel, keyword and the RTC of the last send', async () => {
    const { t, h, inbound, sendTo, events } = twilioSetup()
    const phone = freshNumber()
    await sendTo(phone, 'rtc-older')
    const last = await sendTo(phone, 'rtc-newest')
    const other = await sendTo(freshNumber(), 'rtc-of-another-number')
    const delivery = await h.rows.delivery(last.guid, t.id)
    expect(delivery.recipient_key).toMatch(/^[0-9a-f]{64}$/)
    expect(delivery.recipient_key).not.toBe((await h.rows.delivery(other.guid, t.id)).recipient_key)

    const params = inboundParams(t, phone, 'STOP')
    const res = await inbound(params)
    expect(res.headers.get('x-connector-status')).toBe('OK')
    expect(await entriesOf(t.id, phone)).toEqual([
      { channel: 'sms', sender: '', source: 'keyword', keyword: 'STOP', evidence: params.MessageSid },
    ])
    expect(await changesOf(t.id, phone)).toEqual([
      { action: 'add', source: 'keyword', actor: 'keyword', sender: '' },
    ])
    // The opt-out first (it holds even if the message cannot be passed on), then the MO event as today.
    expect(await events()).toEqual([
      {
        eventName: EVENTS.opt_out_event,
        datahub_id: last.identityId,
        channel: 'sms',
        keyword: 'STOP',
        provider: 'twilio',
        responseTrackingCode: 'rtc-newest',
        connector_event_id: `optout:twilio:inbound:${params.MessageSid}`,
      },
      {
        eventName: 'Twilio Inbound',
        datahub_id: last.identityId,
        message_body: 'STOP',
        connector_event_id: `twilio:inbound:${params.MessageSid}`,
      },
    ])
  })

  it('a phrase that merely contains stop is not an opt-out: no entry, no opt_out_event, the MO event as before', async () => {
    const { t, inbound, sendTo, events } = twilioSetup()
    const phone = freshNumber()
    await sendTo(phone, 'rtc-1')
    for (const body of ['Stop please', 'stop sending me these', "don't stop"]) {
      const res = await inbound(inboundParams(t, phone, body))
      expect(res.headers.get('x-connector-status')).toBe('OK')
    }
    expect(await entriesOf(t.id, phone)).toEqual([])
    expect((await events()).map((e) => e.eventName)).toEqual([
      'Twilio Inbound',
      'Twilio Inbound',
      'Twilio Inbound',
    ])
  })

  it("OptOutType decides over the body: STOP with 'Arrêt' opts out, START with 'Oui' opts back in, HELP decides nothing", async () => {
    const { t, inbound, sendTo, events } = twilioSetup()
    const phone = freshNumber()
    await sendTo(phone, 'rtc-1')
    expect((await inbound(fixtureParams(t, phone, 'HELP', 'HELP'))).headers.get('x-connector-status')).toBe(
      'OK',
    )
    expect(await entriesOf(t.id, phone)).toEqual([])

    const stop = fixtureParams(t, phone, 'Arrêt', 'STOP')
    await inbound(stop)
    expect(await entriesOf(t.id, phone)).toEqual([
      { channel: 'sms', sender: '', source: 'keyword', keyword: 'STOP', evidence: stop.MessageSid },
    ])
    await inbound(fixtureParams(t, phone, 'Oui', 'START'))
    expect(await entriesOf(t.id, phone)).toEqual([])
    expect((await events()).map((e) => [e.eventName, e.keyword])).toEqual([
      ['Twilio Inbound', undefined],
      [EVENTS.opt_out_event, 'STOP'],
      ['Twilio Inbound', undefined],
      [EVENTS.opt_in_event, 'START'],
      ['Twilio Inbound', undefined],
    ])
  })

  it('START lifts keyword and provider entries, never an operator’s or an import’s', async () => {
    const { t, h, inbound, sendTo, events } = twilioSetup()
    const phone = freshNumber()
    await sendTo(phone, 'rtc-1')
    const store = h.deps.stores.suppressions
    const entry = (source: SuppressionEntry['source'], sender: string): SuppressionEntry => ({
      address: phone,
      channel: 'sms',
      source,
      sender,
    })
    const now = h.clock.now()
    await store.add(t.id, { ...entry('keyword', ''), keyword: 'STOP' }, 'keyword', now)
    await store.add(t.id, { ...entry('provider', OUR_NUMBER), keyword: '21610' }, 'provider', now)
    await store.add(t.id, entry('operator', '+18885550111'), 'key:ab12', now)
    await store.add(t.id, entry('import', '+18885550122'), 'key:ab12', now)

    await inbound(inboundParams(t, phone, '  start '))
    expect((await entriesOf(t.id, phone)).map((e) => e.source)).toEqual(['import', 'operator'])
    expect((await changesOf(t.id, phone)).filter((c) => c.action === 'remove')).toEqual([
      { action: 'remove', source: 'keyword', actor: 'keyword', sender: '' },
      { action: 'remove', source: 'provider', actor: 'keyword', sender: OUR_NUMBER },
    ])
    const optIn = (await events()).find((e) => e.eventName === EVENTS.opt_in_event)
    expect(optIn).toMatchObject({
      keyword: 'START',
      channel: 'sms',
      provider: 'twilio',
      responseTrackingCode: 'rtc-1',
    })

    // Nothing left to lift: the entries stay and no opt_in_event is sent again.
    await inbound(inboundParams(t, phone, 'UNSTOP'))
    expect((await entriesOf(t.id, phone)).map((e) => e.source)).toEqual(['import', 'operator'])
    expect((await events()).filter((e) => e.eventName === EVENTS.opt_in_event)).toHaveLength(1)
  })

  it('opt_out_scope sender keys the entry by the number texted (To); tenant (the default) by none', async () => {
    const bySender = twilioSetup({ opt_out_scope: 'sender' })
    const phone = freshNumber()
    await bySender.inbound(inboundParams(bySender.t, phone, 'quit'))
    expect(await entriesOf(bySender.t.id, phone)).toMatchObject([{ sender: OUR_NUMBER, keyword: 'QUIT' }])

    const byTenant = twilioSetup()
    const other = freshNumber()
    await byTenant.inbound(inboundParams(byTenant.t, other, 'quit'))
    expect(await entriesOf(byTenant.t.id, other)).toMatchObject([{ sender: '', keyword: 'QUIT' }])
  })

  it('a redelivered STOP (same MessageSid) is one entry, one change row and one opt_out_event', async () => {
    const { t, inbound, sendTo, events } = twilioSetup()
    const phone = freshNumber()
    await sendTo(phone, 'rtc-1')
    const params = inboundParams(t, phone, 'Stop')
    expect((await inbound(params)).headers.get('x-connector-status')).toBe('OK')
    expect((await inbound(params)).headers.get('x-connector-status')).toBe('DUPLICATE')
    expect(await entriesOf(t.id, phone)).toHaveLength(1)
    expect(await changesOf(t.id, phone)).toHaveLength(1)
    const sent = await events()
    expect(sent.filter((e) => e.eventName === EVENTS.opt_out_event)).toHaveLength(1)
    expect(sent).toHaveLength(2) // the MO event and the opt-out event, once each
  })

  it('tenants never lift each other’s entries', async () => {
    const other = twilioTenant(OTHER_TENANT, EVENTS)
    const { t, inbound } = twilioSetup({}, [other])
    const phone = freshNumber()
    await inbound(inboundParams(t, phone, 'STOP'))
    await inbound(inboundParams(other, phone, 'START'), other)
    expect(await entriesOf(t.id, phone)).toMatchObject([{ source: 'keyword', keyword: 'STOP' }])
    expect(await entriesOf(other.id, phone)).toEqual([])
    expect(await changesOf(other.id, phone)).toEqual([])
  })

  it('a WhatsApp STOP suppresses the whatsapp channel only, and a later SMS START does not lift it', async () => {
    const { t, inbound, sendTo, events } = twilioSetup()
    const phone = freshNumber()
    await sendTo(phone, 'rtc-wa', t, 'CHANNEL:WHATSAPP;')
    await inbound(inboundParams(t, `whatsapp:${phone}`, 'STOP'))
    expect(await entriesOf(t.id, phone)).toMatchObject([{ channel: 'whatsapp', keyword: 'STOP' }])
    expect((await events()).find((e) => e.eventName === EVENTS.opt_out_event)).toMatchObject({
      channel: 'whatsapp',
      responseTrackingCode: 'rtc-wa',
    })
    await inbound(inboundParams(t, phone, 'START'))
    expect(await entriesOf(t.id, phone)).toMatchObject([{ channel: 'whatsapp' }])
  })

  it('a STOP from a sender nobody knows still suppresses it; without an identity no event is sent', async () => {
    const { t, inbound, events } = twilioSetup()
    const phone = freshNumber()
    const res = await inbound(inboundParams(t, phone, 'STOP'))
    expect(res.headers.get('x-connector-status')).toBe('OK')
    expect(await entriesOf(t.id, phone)).toMatchObject([{ source: 'keyword', keyword: 'STOP' }])
    expect(await events()).toEqual([])
  })

  it('without opt_out_event the entry is written and only the MO event is injected', async () => {
    const { t, inbound, sendTo, events } = twilioSetup({ opt_out_event: '', opt_in_event: '' })
    const phone = freshNumber()
    await sendTo(phone, 'rtc-1')
    await inbound(inboundParams(t, phone, 'END'))
    expect(await entriesOf(t.id, phone)).toMatchObject([{ keyword: 'END' }])
    expect((await events()).map((e) => e.eventName)).toEqual(['Twilio Inbound'])
  })
})

describe('the last message sent to a number', () => {
  it('is found through the recipient_key index, never a scan', async () => {
    const plan = await rows.queryPlan(
      `SELECT response_tracking_code FROM deliveries
       WHERE tenant_id = ? AND recipient_key = ? AND state IN ('sent', 'uncertain')
       ORDER BY created_at DESC LIMIT 1`,
      ['t', 'k'],
    )
    expect(plan.map((p) => p.detail).join('\n')).toMatch(/USING INDEX deliveries_by_recipient_key/)
  })
})

describe('SCG MO keywords', () => {
  /** An SCG tenant with the opt events; the sender's identity cached as a send would. */
  function scgSetup(overrides: Record<string, unknown> = {}) {
    const t = webhookTenant(FIXTURE_TENANT, { ...EVENTS, ...overrides })
    const h = createHarness([t], { via: 'app' })
    const em = createEventManager({
      send: viaApp(h.app),
      url: `/v1/webhooks/scg/${t.id}`,
      auth: { mode: 'basic', username: t.webhook.username, password: t.webhook.password },
    })
    const events = async () => (await ci360Fake.requests(t.ci360Key)).map((r) => r.body)
    return { t, h, em, events }
  }
  /** A provider fixture from a fresh number, with a fresh event id and message id. */
  function envelope(fixture: unknown, from: string): any {
    const e = structuredClone(fixture) as any
    e['event-id'] = crypto.randomUUID().replaceAll('-', '').slice(0, 22)
    e.event.timestamp = new Date().toISOString()
    e.event['fld-val-list'].from_address = from
    e.event['fld-val-list'].message_id = crypto.randomUUID().slice(0, 22)
    return e
  }

  it('"stop" suppresses the sender (evidence: the message id), opt_out_event, and the MO event still goes to CI360', async () => {
    const { t, em, events } = scgSetup()
    const phone = freshNumber()
    await cacheIdentity(phone, 'dh-scg-1')
    const mo = envelope(scgMoStop, phone)
    mo.event['fld-val-list'].message_body = 'stop'
    expect(await json(await em.deliver(mo))).toMatchObject({ status: 'OK' })
    expect(await entriesOf(t.id, phone)).toEqual([
      {
        channel: 'sms',
        sender: '',
        source: 'keyword',
        keyword: 'STOP',
        evidence: mo.event['fld-val-list'].message_id,
      },
    ])
    expect(await events()).toEqual([
      {
        eventName: EVENTS.opt_out_event,
        datahub_id: 'dh-scg-1',
        channel: 'sms',
        keyword: 'STOP',
        provider: 'scg',
        connector_event_id: `optout:scg:${mo['event-id']}`,
      },
      {
        eventName: 'Inbound SMS',
        datahub_id: 'dh-scg-1',
        message_body: 'stop',
        connector_event_id: `scg:${mo['event-id']}`,
      },
    ])
  })

  it('"  Opt out \\n" is an opt-out; "Please stop texting me at night" is not; START lifts it', async () => {
    const { t, em } = scgSetup()
    const phone = freshNumber()
    await cacheIdentity(phone, 'dh-scg-2')
    await em.deliver(envelope(scgMoSentence, phone))
    expect(await entriesOf(t.id, phone)).toEqual([])
    await em.deliver(envelope(scgMoOptOutPhrase, phone))
    expect(await entriesOf(t.id, phone)).toMatchObject([{ keyword: 'OPT OUT' }])
    await em.deliver(envelope(scgMoStart, phone))
    expect(await entriesOf(t.id, phone)).toEqual([])
  })

  it('opt_out_scope sender keys the entry by to_address; a redelivered event is one entry and one event', async () => {
    const { t, em, events } = scgSetup({ opt_out_scope: 'sender' })
    const phone = freshNumber()
    await cacheIdentity(phone, 'dh-scg-3')
    const mo = envelope(scgMoStop, phone)
    expect(await json(await em.deliver(mo))).toMatchObject({ status: 'OK' })
    expect(await json(await em.deliver(mo))).toMatchObject({ status: 'DUPLICATE' })
    expect(await entriesOf(t.id, phone)).toMatchObject([{ sender: '72345', keyword: 'STOP' }])
    expect(await changesOf(t.id, phone)).toHaveLength(1)
    expect((await events()).filter((e) => e.eventName === EVENTS.opt_out_event)).toHaveLength(1)
  })
})
