import { createHmac } from 'node:crypto'
import fc from 'fast-check'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { multicloudSignature, verifyMulticloudSignature } from '../../src/providers/genesys/multicloud'
import { scgEnvelope } from '../support/event-manager'
import { ci360Fake, genesysFake, scgFake } from '../support/fake-control'
import {
  hubSignatureSha1,
  type MulticloudTestTenant,
  multicloudMessage,
  multicloudTenant,
  scgMulticloudTenant,
} from '../support/genesys'
import { createHarness } from '../support/harness'
import { rows, wipeTables } from '../support/rows'
import { json } from '../support/worker'

beforeEach(wipeTables)
afterEach(() => vi.restoreAllMocks())

const CUSTOMER = '+14155550123'
const nexusCalls = async (t: MulticloudTestTenant, channel = 'ch-a') =>
  (await genesysFake.requests(t.genesysKey)).filter((r) =>
    r.path.endsWith(`/nexus/v3/channels/${channel}/messages`),
  )
const delivery = (t: { id: string }, id: string) => rows.delivery(`genesys:${id}`, t.id)

/** Event Manager reports a final state for the SMS SCG got (`sms`) and we sent (`messageId`). */
const statusEnvelope = (sms: any, messageId: string, state: string) =>
  scgEnvelope('scg-status-delivered', (e) => {
    e.event['fld-val-list'].message_request_id = messageId
    e.event['fld-val-list'].external_message_request_id = sms.body.external_id
    e.event['fld-val-list'].new_state = state
  })

/** A customer's SMS to the tenant's Genesys number. */
const customerReply = (text: string) =>
  scgEnvelope('scg-mo-text', (e) => {
    e.event['fld-val-list'].to_address = '+18885550199'
    e.event['fld-val-list'].from_address = CUSTOMER
    e.event['fld-val-list'].message_body = text
  })

/** The fake Nexus checked the signature; the test checks it again, independently, and the ccid. */
function expectSigned(
  t: MulticloudTestTenant,
  call: { headers: Record<string, string>; raw: string },
  ch = 'ch-a',
) {
  expect(call.headers['x-hub-signature']).toBe(hubSignatureSha1(`api-${t.genesysKey}-${ch}`, call.raw))
  expect(call.headers['x-ccid']).toBe(`ccid-${t.genesysKey}`)
  expect(call.headers['content-type']).toBe('application/json')
}

describe('Multicloud signature (X-Hub-Signature: sha1=)', () => {
  it('matches the composed vector and node:crypto', async () => {
    const body = '{"messages":[{"channel":{"id":"16504661149"},"text":"hi"}]}'
    const vector = 'sha1=a6bf685b90d2b87c83003b2bb6ced5aae37bbf31'
    expect(await multicloudSignature('webhook_secret', body)).toBe(vector)
    expect(hubSignatureSha1('webhook_secret', body)).toBe(vector)
    expect(await verifyMulticloudSignature('webhook_secret', vector, body)).toBe(true)
    expect(
      await verifyMulticloudSignature('webhook_secret', vector.toUpperCase().replace('SHA1', 'sha1'), body),
    ).toBe(true)
    expect(await verifyMulticloudSignature('webhook_secret', null, body)).toBe(false)
    expect(await verifyMulticloudSignature('webhook_secret', vector.slice(5), body)).toBe(false)
  })

  it('accepts exactly what node:crypto signs (hex or base64), for random bodies and secrets', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 1 }), fc.string(), fc.string(), async (secret, body, other) => {
        const hex = hubSignatureSha1(secret, body)
        expect(await multicloudSignature(secret, body)).toBe(hex)
        expect(await verifyMulticloudSignature(secret, hex, body)).toBe(true)
        expect(await verifyMulticloudSignature(secret, hubSignatureSha1(secret, body, 'base64'), body)).toBe(
          true,
        )
        if (other !== body) expect(await verifyMulticloudSignature(secret, hex, other)).toBe(false)
        if (other !== secret && other !== '')
          expect(await verifyMulticloudSignature(other, hex, body)).toBe(false)
        const sha256 = `sha1=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`
        expect(await verifyMulticloudSignature(secret, sha256, body)).toBe(false)
      }),
      { numRuns: 60 },
    )
  })

  const refused: [
    string,
    (t: MulticloudTestTenant, raw: string) => { signature?: string | null; channel?: string },
  ][] = [
    ['missing header', () => ({ signature: null })],
    ['wrong secret', (_t, raw) => ({ signature: hubSignatureSha1('not-the-secret', raw) })],
    [
      'tampered body',
      (t, raw) => ({ signature: hubSignatureSha1(t.webhookSecrets['ch-a'] as string, `${raw} `) }),
    ],
    [
      'the other channel’s secret',
      (t, raw) => ({ signature: hubSignatureSha1(t.webhookSecrets['ch-b'] as string, raw) }),
    ],
    [
      'unknown channel',
      (t, raw) => ({ channel: 'ch-x', signature: hubSignatureSha1(t.webhookSecrets['ch-a'] as string, raw) }),
    ],
  ]
  for (const [name, sign] of refused) {
    it(`403 FORBIDDEN and nothing sent: ${name}`, async () => {
      const t = multicloudTenant()
      const msg = multicloudMessage()
      const raw = JSON.stringify({ messages: [msg] })
      const res = await createHarness([t]).post.multicloud(t, raw, sign(t, raw))
      expect(res.status).toBe(403)
      expect(await json(res)).toMatchObject({ status: 'ERROR', error: { code: 'FORBIDDEN' } })
      expect(await scgFake.requests(t.scgToken)).toHaveLength(0)
      expect(await delivery(t, msg.id)).toBeNull()
    })
  }

  it('403 for an unknown tenant; a base64 signature is accepted', async () => {
    const t = multicloudTenant()
    const h = createHarness([t])
    const raw = JSON.stringify({ messages: [multicloudMessage()] })
    const other = { ...t, id: 'no-such-tenant' }
    expect((await h.post.multicloud(other, raw)).status).toBe(403)
    const b64 = hubSignatureSha1(t.webhookSecrets['ch-a'] as string, raw, 'base64')
    const res = await h.post.multicloud(t, raw, { signature: b64 })
    expect(res.status).toBe(200)
    expect(await scgFake.requests(t.scgToken)).toHaveLength(1)
  })
})

describe('Multicloud round trip through SCG and the fake Nexus', () => {
  it('message → SMS → DELIVERED → signed receipt to Nexus; customer reply → Nexus, not CI360', async () => {
    const t = scgMulticloudTenant()
    const h = createHarness([t])
    const em = h.eventManager(t)
    const msg = multicloudMessage({
      content: [{ contentType: 'Attachment', attachment: { url: 'https://m.example.com/a.jpg' } }],
    })
    const res = await h.post.multicloud(t, { messages: [msg] }, { headers: { 'x-b3-traceid': 'trace-1' } })
    expect(res.status).toBe(200)
    const sent = await json(res)
    expect(sent).toMatchObject({ messageId: `genesys:${msg.id}`, status: 'OK' })
    expect(sent.messages).toEqual([
      expect.objectContaining({ messageId: `genesys:${msg.id}`, status: 'OK', id: msg.id, provider: 'scg' }),
    ])
    const sms = (await scgFake.requests(t.scgToken))[0] as any
    expect(sms.body).toMatchObject({
      to: [CUSTOMER],
      body: 'Hello from Genesys',
      media_urls: ['https://m.example.com/a.jpg'],
    })
    expect(await delivery(t, msg.id)).toMatchObject({
      source: 'genesys',
      genesys_channel: 'ch-a',
      genesys_message_id: msg.id,
    })
    const [event] = await rows.inboundEventsOf(t.id)
    expect(event).toMatchObject({
      source: 'genesys',
      type: 'multicloud',
      event_key: msg.id,
      state: 'injected',
    })
    expect(JSON.parse(event.body)).toMatchObject({ id: msg.id, type: 'Text', direction: 'Outbound' })

    expect(
      (await json(await em.deliver(statusEnvelope(sms, sent.messages[0].message_id, 'DELIVERED')))).status,
    ).toBe('OK')
    const receipts = await nexusCalls(t)
    expect(receipts).toHaveLength(1)
    expectSigned(t, receipts[0] as any)
    expect(receipts[0]?.body).toEqual({
      messages: [
        {
          id: msg.id,
          channel: { messageId: `genesys:${msg.id}`, to: { id: CUSTOMER }, time: expect.any(String) },
          status: 'Delivered',
          direction: 'Outbound',
          isFinalReceipt: true,
        },
      ],
    })

    expect((await json(await em.deliver(customerReply('Thanks!')))).status).toBe('OK')
    const calls = await nexusCalls(t)
    expect(calls).toHaveLength(2)
    expectSigned(t, calls[1] as any)
    expect(calls[1]?.body.messages[0]).toMatchObject({
      channel: { to: { id: '+18885550199' }, from: { id: CUSTOMER, idType: 'Phone' } },
      type: 'Text',
      text: 'Thanks!',
    })
    expect(await ci360Fake.requests(t.ci360Key)).toHaveLength(0)
  })

  it('a reply goes to the channel that last wrote to the customer', async () => {
    const t = scgMulticloudTenant()
    const h = createHarness([t])
    const em = h.eventManager(t)
    await h.post.multicloud(t, { messages: [multicloudMessage()] }, { channel: 'ch-a' })
    await h.post.multicloud(t, { messages: [multicloudMessage()] }, { channel: 'ch-b' })
    expect((await json(await em.deliver(customerReply('to b')))).status).toBe('OK')
    const b = await nexusCalls(t, 'ch-b')
    expect(b.map((c) => c.body.messages[0].text)).toEqual(['to b'])
    expectSigned(t, b[0] as any, 'ch-b')
    expect(await nexusCalls(t, 'ch-a')).toHaveLength(0)
  })

  it('rejection → 200 PROVIDER_REJECTED and a Failed receipt, on a configured inbound_path', async () => {
    const t = scgMulticloudTenant()
    ;(t.secret.genesys as any).multicloud.inbound_path = '/custom/channels/{channelId}/events'
    const h = createHarness([t])
    await scgFake.script(t.scgToken, [
      { status: 400, body: { error_code: 'SCG_ERROR_40025', error_description: 'bad number' } },
    ])
    const msg = multicloudMessage()
    const res = await h.post.multicloud(t, { messages: [msg] })
    expect(res.status).toBe(200)
    expect(await json(res)).toMatchObject({ messageId: `genesys:${msg.id}`, status: 'PROVIDER_REJECTED' })
    const calls = await genesysFake.requests(t.genesysKey)
    expect(calls.map((c) => c.path)).toEqual([`/${t.genesysKey}/custom/channels/ch-a/events`])
    expectSigned(t, calls[0] as any)
    expect(calls[0]?.body.messages[0]).toMatchObject({ id: msg.id, status: 'Failed', isFinalReceipt: true })
  })

  it('Nexus down → genesys_event failed request, the cron retries, delivered once', async () => {
    const t = scgMulticloudTenant()
    const h = createHarness([t])
    const em = h.eventManager(t)
    await h.post.multicloud(t, { messages: [multicloudMessage()] })
    await genesysFake.script(t.genesysKey, [
      { status: 503, body: { status: { code: 503, message: 'down' } } },
    ])
    expect((await json(await em.deliver(customerReply('Anyone?')))).status).toBe('QUEUED')
    const row = await rows.failedRequestOfKind('genesys_event')
    expect(row).toMatchObject({ state: 'pending', tenant_id: t.id, http_status: 503 })
    h.clock.set(row.next_attempt_at)
    expect(await h.runCron()).toMatchObject({ attempted: 1, states: { done: 1 } })
    h.clock.advance(3_600_000)
    expect((await h.runCron()).attempted).toBe(0)
    const calls = await nexusCalls(t)
    expect(calls).toHaveLength(2)
    expect(calls[1]?.raw).toBe(calls[0]?.raw)
    expectSigned(t, calls[1] as any)
    expect(await rows.failedRequest(row.guid)).toMatchObject({ state: 'done' })
  })

  it('a wrong API secret: the fake Nexus answers 403 and the call is stored, not retried', async () => {
    const t = scgMulticloudTenant()
    ;(t.secret.genesys as any).multicloud.channels[0].api_secret = 'not-the-api-secret'
    const h = createHarness([t])
    const em = h.eventManager(t)
    await h.post.multicloud(t, { messages: [multicloudMessage()] })
    expect((await json(await em.deliver(customerReply('hello')))).status).toBe('QUEUED')
    const calls = await nexusCalls(t)
    expect(calls).toHaveLength(1)
    const row = await rows.failedRequestOfKind('genesys_event')
    expect(row).toMatchObject({ state: 'dead', http_status: 403 })
  })
})

describe('Multicloud webhook input', () => {
  it('logs X-B3-TraceId with the channel, and no number, text or secret', async () => {
    const t = multicloudTenant()
    const lines: string[] = []
    for (const level of ['log', 'warn', 'error'] as const)
      vi.spyOn(console, level).mockImplementation((text: unknown) => void lines.push(String(text)))
    const res = await createHarness([t], { vars: { log_level: 'debug' } }).post.multicloud(
      t,
      { messages: [multicloudMessage()] },
      { headers: { 'x-b3-traceid': '463ac35c9f6413ad48485a3953bb6124' } },
    )
    expect(res.status).toBe(200)
    const traced = lines
      .map((l) => JSON.parse(l))
      .find((l) => l.trace_id === '463ac35c9f6413ad48485a3953bb6124')
    expect(traced).toMatchObject({ tenant: t.id, channel: 'ch-a' })
    const all = lines.join('\n')
    for (const secret of ['4155550123', 'Hello from Genesys', t.webhookSecrets['ch-a'] as string])
      expect(all).not.toContain(secret)
  })

  it('a redelivery → DUPLICATE with the same messageId, one SMS', async () => {
    const t = multicloudTenant()
    const h = createHarness([t])
    const body = { messages: [multicloudMessage()] }
    const first = await json(await h.post.multicloud(t, body))
    const again = await h.post.multicloud(t, body)
    expect(again.status).toBe(200)
    expect(await json(again)).toMatchObject({
      messageId: first.messageId,
      status: 'DUPLICATE',
      messages: [{ state: 'sent' }],
    })
    expect(await scgFake.requests(t.scgToken)).toHaveLength(1)
  })

  it('several messages: each sent once, outcomes in order, the first one’s messageId', async () => {
    const t = multicloudTenant()
    const [a, b] = [multicloudMessage(), multicloudMessage({ direction: 'Inbound' })]
    const c = multicloudMessage({ channel: { to: { id: '+14155550124' } } })
    const res = await createHarness([t]).post.multicloud(t, { messages: [a, b, c] })
    expect(res.status).toBe(200)
    const body = await json(res)
    expect(body.messageId).toBe(`genesys:${a?.id}`)
    expect(body.messages.map((m: any) => [m.messageId, m.status])).toEqual([
      [`genesys:${a?.id}`, 'OK'],
      [`genesys:${b?.id}`, 'IGNORED'],
      [`genesys:${c.id}`, 'OK'],
    ])
    expect((await scgFake.requests(t.scgToken)).map((r: any) => r.body.to)).toEqual([
      [CUSTOMER],
      ['+14155550124'],
    ])
  })

  const bad: [string, string, number, Record<string, unknown>][] = [
    ['malformed JSON', '{"messages":[', 400, { code: 'INVALID_JSON' }],
    ['no messages', '{}', 400, { code: 'VALIDATION_FAILED' }],
    ['an empty list', '{"messages":[]}', 400, { code: 'VALIDATION_FAILED' }],
    [
      'a message without id',
      JSON.stringify({ messages: [{ channel: { to: { id: CUSTOMER } }, text: 'x' }] }),
      400,
      { code: 'VALIDATION_FAILED', message: expect.stringContaining('messages.0.id') },
    ],
    [
      'one bad message among good ones',
      JSON.stringify({ messages: [multicloudMessage(), { id: 'x', text: 'no channel' }] }),
      400,
      { code: 'VALIDATION_FAILED', message: expect.stringContaining('messages.1.channel') },
    ],
    [
      'no text and no attachment',
      JSON.stringify({ messages: [multicloudMessage({ text: '' })] }),
      400,
      { code: 'VALIDATION_FAILED' },
    ],
  ]
  for (const [name, raw, status, error] of bad) {
    it(`${name} → ${status}, nothing sent`, async () => {
      const t = multicloudTenant()
      const res = await createHarness([t]).post.multicloud(t, raw)
      expect(res.status).toBe(status)
      expect(await json(res)).toMatchObject({ status: 'ERROR', error })
      expect(await scgFake.requests(t.scgToken)).toHaveLength(0)
      expect(await rows.deliveryCount(t.id)).toBe(0)
    })
  }

  it('non-Outbound directions and non-Text types → 200 IGNORED, recorded, nothing sent', async () => {
    const t = multicloudTenant()
    const m1 = multicloudMessage({ direction: 'Inbound' })
    const m2 = multicloudMessage({ type: 'Receipt' })
    const res = await createHarness([t]).post.multicloud(t, { messages: [m1, m2] })
    expect(res.status).toBe(200)
    expect(await json(res)).toMatchObject({
      messageId: `genesys:${m1.id}`,
      status: 'IGNORED',
      messages: [
        { status: 'IGNORED', reason: 'direction is not Outbound' },
        { status: 'IGNORED', reason: 'type is not Text' },
      ],
    })
    expect(await scgFake.requests(t.scgToken)).toHaveLength(0)
    const events = await rows.inboundEventsOf(t.id)
    expect(events.map((e) => e.state)).toEqual(['ignored', 'ignored'])
  })
})
