import { env } from 'cloudflare:workers'
import { beforeEach, describe, expect, it } from 'vitest'
import scg1005 from '../fixtures/providers/scg-status-failed-1005-no-consent.json'
import twilio21610 from '../fixtures/providers/twilio-create-400-21610.json'
import statusForm from '../fixtures/providers/twilio-status-undelivered-21610.form?raw'
import { FIXTURE_TENANT } from '../support/constants'
import { genesysFake, scgFake, twilioFake } from '../support/fake-control'
import { outboundEvent } from '../support/fixtures'
import { openMessage, scgGenesysTenant } from '../support/genesys'
import { createHarness } from '../support/harness'
import { rows, wipeTables } from '../support/rows'
import { webhookTenant } from '../support/scg-webhook'
import { type Params, statusParams, twilioTenant } from '../support/twilio'
import { json } from '../support/worker'

const TWILIO_TO = '+12125550147'
const TWILIO_FROM = '+18885550100'

const suppressions = async (tenantId: string) =>
  (
    await env.DB.prepare('SELECT * FROM suppressions WHERE tenant_id = ? ORDER BY address, sender')
      .bind(tenantId)
      .all()
  ).results

/** The fixture's status callback fields, for our message and number. */
function formParams(sid: string, to: string): Params {
  const params = Object.fromEntries(new URLSearchParams(statusForm)) as Params
  return { ...params, MessageSid: sid, SmsSid: sid, To: to }
}

beforeEach(async () => {
  await wipeTables()
  await env.DB.batch([
    env.DB.prepare('DELETE FROM suppressions'),
    env.DB.prepare('DELETE FROM suppression_changes'),
  ])
})

describe('Twilio 21610 on create: final, the number listed, never retried', () => {
  it('422 PROVIDER_REJECTED, delivery rejected OPTED_OUT, entry source provider; the cron never sends it again', async () => {
    const t = twilioTenant(FIXTURE_TENANT)
    const h = createHarness([t], { via: 'app' })
    await twilioFake.script(t.accountSid, [{ status: twilio21610.status, body: twilio21610 }])
    const event = outboundEvent('outbound-twilio', { now: h.clock.now() })

    const res = await h.post.twilio(t, event)

    expect(res.status).toBe(422)
    expect((await json(res)).error).toMatchObject({ code: 'PROVIDER_REJECTED', provider_code: '21610' })
    expect(await rows.delivery(event.guid, t.id)).toMatchObject({
      state: 'rejected',
      last_error: expect.stringMatching(/^OPTED_OUT: /),
    })
    expect(await rows.failedRequest(event.guid, t.id)).toMatchObject({ state: 'dead' })
    expect(await suppressions(t.id)).toEqual([
      expect.objectContaining({
        address: TWILIO_TO,
        channel: 'sms',
        sender: '',
        source: 'provider',
        keyword: '21610',
        evidence: event.guid,
      }),
    ])

    h.clock.advance(60 * 60_000 - 1000)
    await h.runCron()
    expect(await twilioFake.requests(t.accountSid)).toHaveLength(1)
    expect(await rows.failedRequest(event.guid, t.id)).toMatchObject({ state: 'dead', attempts: 1 })

    // The next campaign message to the number is suppressed before any call.
    const next = outboundEvent('outbound-twilio', { now: h.clock.now() })
    expect(await json(await h.post.twilio(t, next))).toMatchObject({ status: 'SUPPRESSED' })
    expect(await twilioFake.requests(t.accountSid)).toHaveLength(1)
  })

  it('a 21610 answer to a cron retry: the row ends dead, the delivery rejected OPTED_OUT, the number listed', async () => {
    const t = twilioTenant(FIXTURE_TENANT)
    const h = createHarness([t], { via: 'app' })
    await twilioFake.script(t.accountSid, [
      { status: 503, body: { code: 20500, message: 'busy', status: 503 } },
      { status: 400, body: twilio21610 },
    ])
    const event = outboundEvent('outbound-twilio', { now: h.clock.now() })
    expect((await h.post.twilio(t, event)).status).toBe(202)
    h.clock.advance(15 * 60_000)

    await h.runCron()

    expect(await twilioFake.requests(t.accountSid)).toHaveLength(2)
    expect(await rows.failedRequest(event.guid, t.id)).toMatchObject({
      state: 'dead',
      last_error: expect.stringMatching(/^OPTED_OUT: /),
    })
    expect(await rows.delivery(event.guid, t.id)).toMatchObject({ state: 'rejected', attempts: 2 })
    expect(await suppressions(t.id)).toMatchObject([
      { address: TWILIO_TO, source: 'provider', keyword: '21610', evidence: event.guid },
    ])
    h.clock.advance(60 * 60_000)
    await h.runCron()
    expect(await twilioFake.requests(t.accountSid)).toHaveLength(2)
  })

  it('with opt_out_scope sender, the entry names the sender used', async () => {
    const t = twilioTenant(FIXTURE_TENANT, { opt_out_scope: 'sender' })
    const h = createHarness([t], { via: 'app' })
    await twilioFake.script(t.accountSid, [{ status: 400, body: twilio21610 }])
    expect((await h.post.twilio(t, outboundEvent('outbound-twilio'))).status).toBe(422)
    expect(await suppressions(t.id)).toMatchObject([
      { address: TWILIO_TO, sender: TWILIO_FROM, source: 'provider' },
    ])
  })
})

describe('provider receipts that say the recipient opted out', () => {
  it('a Twilio status callback with ErrorCode 21610 rejects the delivery (OPTED_OUT) and lists the number once', async () => {
    const t = twilioTenant(FIXTURE_TENANT)
    const h = createHarness([t], { via: 'app' })
    const event = outboundEvent('outbound-twilio')
    const sent = await json(await h.post.twilio(t, event))
    expect(sent).toMatchObject({ status: 'OK' })
    const path = `/v1/webhooks/twilio/${t.id}/status`
    const params = formParams(sent.message_id, TWILIO_TO)
    expect(params).toMatchObject({ ErrorCode: '21610', MessageStatus: 'undelivered' })

    const res = await h.post.twilioWebhook(path, params, t.authToken)

    expect(res.status).toBe(200)
    expect(await rows.delivery(event.guid, t.id)).toMatchObject({
      state: 'rejected',
      provider_status: 'undelivered',
      last_error: 'OPTED_OUT: provider code 21610',
    })
    const listed = await suppressions(t.id)
    expect(listed).toEqual([
      expect.objectContaining({
        address: TWILIO_TO,
        channel: 'sms',
        sender: '',
        source: 'provider',
        keyword: '21610',
        evidence: sent.message_id,
      }),
    ])

    // A redelivery changes nothing: one entry, one audit row.
    expect((await h.post.twilioWebhook(path, params, t.authToken)).status).toBe(200)
    expect(await suppressions(t.id)).toEqual(listed)
    const changes = await h.deps.stores.suppressions.changes(t.id, 10)
    expect(changes).toMatchObject([
      { action: 'add', source: 'provider', actor: 'provider', address: TWILIO_TO },
    ])
  })

  it('another ErrorCode (30003) lists nothing and leaves the delivery sent', async () => {
    const t = twilioTenant(FIXTURE_TENANT)
    const h = createHarness([t], { via: 'app' })
    const event = outboundEvent('outbound-twilio')
    const sent = await json(await h.post.twilio(t, event))
    const params = statusParams(t, sent.message_id, 'undelivered', { ErrorCode: '30003' })
    expect(
      (await h.post.twilioWebhook(`/v1/webhooks/twilio/${t.id}/status`, params, t.authToken)).status,
    ).toBe(200)
    expect(await rows.delivery(event.guid, t.id)).toMatchObject({
      state: 'sent',
      provider_status: 'undelivered',
    })
    expect(await suppressions(t.id)).toEqual([])
  })

  it('an SCG FAILED receipt with reason 1005 rejects the delivery (OPTED_OUT) and lists the number', async () => {
    const t = webhookTenant()
    const h = createHarness([t], { via: 'app' })
    const event = outboundEvent('outbound-sms-oneline')
    const sent = await json(await h.post.scg(t, event))
    expect(sent).toMatchObject({ status: 'OK' })
    const envelope = structuredClone(scg1005) as any
    envelope['event-id'] = `ev-${crypto.randomUUID()}`
    envelope.event['fld-val-list'].message_request_id = sent.message_id
    envelope.event['fld-val-list'].external_message_request_id =
      `${event.identityId}|TSK_1190|${t.id}|${event.guid}`

    const res = await h.eventManager(t).deliver(envelope)

    expect(res.status).toBe(200)
    expect(await rows.delivery(event.guid, t.id)).toMatchObject({
      state: 'rejected',
      provider_status: 'FAILED',
      last_error: 'OPTED_OUT: provider code 1005',
    })
    expect(await suppressions(t.id)).toEqual([
      expect.objectContaining({
        address: '+16505550142',
        channel: 'sms',
        sender: '',
        source: 'provider',
        keyword: '1005',
        evidence: sent.message_id,
      }),
    ])
    // The next send to that number is suppressed: SCG saw the first send only.
    expect(await json(await h.post.scg(t, outboundEvent('outbound-sms-oneline')))).toMatchObject({
      status: 'SUPPRESSED',
    })
    expect(await scgFake.requests(t.scgToken)).toHaveLength(1)
  })

  it('a 1005 receipt for a Genesys message: Genesys gets its Failed receipt with reason code OPTED_OUT', async () => {
    const t = scgGenesysTenant()
    const h = createHarness([t], { via: 'app' })
    const msg = openMessage()
    const sent = await json(await h.post.openMessaging(t, msg))
    expect(sent).toMatchObject({ status: 'OK' })
    const envelope = structuredClone(scg1005) as any
    envelope['event-id'] = `ev-${crypto.randomUUID()}`
    const fields = envelope.event['fld-val-list']
    fields.message_request_id = sent.message_id
    fields.external_message_request_id = `${msg.id}|genesys|${t.id}|genesys:${msg.id}`
    fields.to_address = '+14155550123'

    expect((await h.eventManager(t).deliver(envelope)).status).toBe(200)

    expect(await rows.delivery(`genesys:${msg.id}`, t.id)).toMatchObject({ state: 'rejected' })
    expect(await suppressions(t.id)).toMatchObject([
      { address: '+14155550123', source: 'provider', keyword: '1005' },
    ])
    const receipts = (await genesysFake.requests(t.genesysKey)).filter((r) =>
      r.path.endsWith('/inbound/open/receipt'),
    )
    expect(receipts.map((r) => r.body)).toMatchObject([
      {
        id: msg.id,
        status: 'Failed',
        reasons: [{ code: 'OPTED_OUT', message: 'OPTED_OUT: provider status FAILED' }],
      },
    ])
  })
})
