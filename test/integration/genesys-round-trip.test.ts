import { beforeEach, describe, expect, it } from 'vitest'
import { scgEnvelope } from '../support/event-manager'
import { ci360Fake, genesysFake, scgFake, twilioFake } from '../support/fake-control'
import { genesysTenant, openMessage, scgGenesysTenant, twilioGenesysTenant } from '../support/genesys'
import { createHarness } from '../support/harness'
import { rows, wipeTables } from '../support/rows'
import { inboundParams, statusParams } from '../support/twilio'
import { fakes, json } from '../support/worker'

beforeEach(wipeTables)

const RECEIPT = /\/inbound\/open\/receipt$/
const MESSAGE = /\/inbound\/open\/message$/
const TOKEN = /\/oauth\/token$/

async function genesysCalls(key: string, path: RegExp) {
  return (await genesysFake.requests(key)).filter((r) => path.test(r.path))
}

describe('Genesys round trip through SCG', () => {
  it('Open message → SMS → Event Manager DELIVERED → Delivered receipt to Genesys, nothing to CI360', async () => {
    const t = scgGenesysTenant()
    const h = createHarness([t])
    const msg = openMessage()
    const sent = await json(await h.post.openMessaging(t, msg))
    expect(sent).toMatchObject({ status: 'OK', provider: 'scg', id: msg.id })
    const sms = (await scgFake.requests(t.scgToken))[0]
    expect(sms?.body.to).toEqual(['+14155550123'])

    const em = h.eventManager(t)
    const envelope = scgEnvelope('scg-status-delivered', (e) => {
      e.event['fld-val-list'].message_request_id = sent.message_id
      e.event['fld-val-list'].external_message_request_id = sms?.body.external_id
      e.event['fld-val-list'].new_state = 'DELIVERED'
    })
    const res = await em.deliver(envelope)
    expect(res.status).toBe(200)
    expect(await json(res)).toMatchObject({ status: 'OK' })

    const receipts = await genesysCalls(t.genesysKey, RECEIPT)
    expect(receipts).toHaveLength(1)
    expect(receipts[0]?.body).toMatchObject({
      id: msg.id,
      channel: { to: { id: '+14155550123' } },
      status: 'Delivered',
      direction: 'Outbound',
      isFinalReceipt: true,
    })
    expect(receipts[0]?.headers.authorization).toMatch(/^Bearer tok-/)
    expect(await genesysCalls(t.genesysKey, TOKEN)).toHaveLength(1)
    expect(await ci360Fake.requests(t.ci360Key)).toHaveLength(0)
    const row = await rows.delivery(`genesys:${msg.id}`)
    expect(row.provider_status).toBe('DELIVERED')

    // Event Manager redelivers: no second receipt.
    expect(await json(await em.deliver(envelope))).toMatchObject({ status: 'DUPLICATE' })
    expect(await genesysCalls(t.genesysKey, RECEIPT)).toHaveLength(1)
  })

  it('provider rejection → 422 and a Failed receipt', async () => {
    const t = genesysTenant()
    await scgFake.script(t.scgToken, [
      { status: 400, body: { error_code: 'SCG_ERROR_40025', error_description: 'bad number' } },
    ])
    const msg = openMessage()
    const res = await createHarness([t]).post.openMessaging(t, msg)
    expect(res.status).toBe(422)
    const receipts = await genesysCalls(t.genesysKey, RECEIPT)
    expect(receipts).toHaveLength(1)
    expect(receipts[0]?.body).toMatchObject({ id: msg.id, status: 'Failed', isFinalReceipt: true })
    expect(receipts[0]?.body.reasons?.[0]?.code).toBe('GeneralError')
  })

  it('provider down → QUEUED, the cron sends it; retries that end send a Failed receipt', async () => {
    const t = genesysTenant({ retry_max_attempts: 2 })
    const h = createHarness([t], { via: 'app' })
    const busy = { status: 503, body: { error_code: 'SCG_ERROR_5030', error_description: 'busy' } }
    await scgFake.script(t.scgToken, [busy, busy])
    const msg = openMessage()
    const res = await h.post.openMessaging(t, msg)
    expect(await json(res)).toMatchObject({ status: 'QUEUED', id: msg.id })
    const row = await rows.failedRequest(`genesys:${msg.id}`)
    h.clock.set(row.next_attempt_at)
    expect(await h.runCron()).toMatchObject({ attempted: 1, states: { dead: 1 } })
    expect(await scgFake.requests(t.scgToken)).toHaveLength(2)
    const receipts = await genesysCalls(t.genesysKey, RECEIPT)
    expect(receipts).toHaveLength(1)
    expect(receipts[0]?.body).toMatchObject({
      id: msg.id,
      status: 'Failed',
      channel: { to: { id: '+14155550123' } },
    })
  })
})

describe('Genesys with Twilio', () => {
  it('status callback delivered → Delivered receipt; customer reply → Genesys inbound message, not CI360', async () => {
    const t = twilioGenesysTenant({ numbers: ['+18885550100'] })
    const h = createHarness([t])
    const msg = openMessage()
    const sent = await json(await h.post.openMessaging(t, msg))
    expect(sent).toMatchObject({ status: 'OK', provider: 'twilio' })
    expect(await twilioFake.requests(t.accountSid)).toHaveLength(1)

    const status = await h.post.twilioWebhook(
      `/v1/webhooks/twilio/${t.id}/status`,
      statusParams(t as any, sent.message_id, 'delivered'),
      t.authToken,
    )
    expect(status.status).toBe(200)
    const receipts = await genesysCalls(t.genesysKey, RECEIPT)
    expect(receipts.map((r) => r.body.status)).toEqual(['Delivered'])

    const reply = await h.post.twilioWebhook(
      `/v1/webhooks/twilio/${t.id}/inbound`,
      inboundParams(t as any, '+14155550123', 'Yes please', ['https://media.example.com/p.jpg']),
      t.authToken,
    )
    expect(reply.status).toBe(200)
    expect(reply.headers.get('x-connector-status')).toBe('OK')
    const messages = await genesysCalls(t.genesysKey, MESSAGE)
    expect(messages).toHaveLength(1)
    expect(messages[0]?.body).toMatchObject({
      channel: {
        platform: 'Open',
        type: 'Private',
        to: { id: '+18885550100' },
        from: { id: '+14155550123', idType: 'Phone' },
      },
      type: 'Text',
      text: 'Yes please',
      content: [{ contentType: 'Attachment', attachment: { url: 'https://media.example.com/p.jpg' } }],
    })
    expect(await ci360Fake.requests(t.ci360Key)).toHaveLength(0)
  })

  it('Genesys down → stored as genesys_event, retried by the cron, delivered once', async () => {
    const t = twilioGenesysTenant({ numbers: ['+18885550100'] })
    const h = createHarness([t])
    await genesysFake.script(t.genesysKey, [{ status: 503, body: { message: 'down' } }])
    const reply = await h.post.twilioWebhook(
      `/v1/webhooks/twilio/${t.id}/inbound`,
      inboundParams(t as any, '+14155550123', 'Hello?'),
      t.authToken,
    )
    expect(reply.headers.get('x-connector-status')).toBe('QUEUED')
    const row = await rows.failedRequestOfKind('genesys_event')
    expect(row).toMatchObject({ state: 'pending', tenant_id: t.id, http_status: 503 })
    h.clock.set(row.next_attempt_at)
    expect(await h.runCron()).toMatchObject({ attempted: 1, states: { done: 1 } })
    h.clock.advance(3_600_000)
    expect((await h.runCron()).attempted).toBe(0)
    const messages = await genesysCalls(t.genesysKey, MESSAGE)
    expect(messages).toHaveLength(2)
    expect(messages[1]?.body).toEqual(messages[0]?.body)
    expect(await ci360Fake.requests(t.ci360Key)).toHaveLength(0)
  })

  it('an expired token → one refresh, then the call succeeds', async () => {
    const t = twilioGenesysTenant({ numbers: ['+18885550100'] })
    const h = createHarness([t])
    const send = (body: string) =>
      h.post.twilioWebhook(
        `/v1/webhooks/twilio/${t.id}/inbound`,
        inboundParams(t as any, '+14155550123', body),
        t.authToken,
      )
    expect((await send('one')).headers.get('x-connector-status')).toBe('OK')
    expect((await send('two')).headers.get('x-connector-status')).toBe('OK')
    expect(await genesysCalls(t.genesysKey, TOKEN)).toHaveLength(1)
    await fetch(`${fakes().genesys}/__control/expire`, {
      method: 'POST',
      body: JSON.stringify({ key: t.genesysKey }),
    })
    expect((await send('three')).headers.get('x-connector-status')).toBe('OK')
    expect(await genesysCalls(t.genesysKey, TOKEN)).toHaveLength(2)
    const calls = await genesysCalls(t.genesysKey, MESSAGE)
    // The fake logs every call: the third was refused once (401) and made again with the new token.
    expect(calls.map((c) => c.body.text)).toEqual(['one', 'two', 'three', 'three'])
    expect(calls[2]?.headers.authorization).not.toBe(calls[3]?.headers.authorization)
  })
})
