import { env } from 'cloudflare:workers'
import { createHmac } from 'node:crypto'
import fc from 'fast-check'
import { beforeEach, describe, expect, it } from 'vitest'
import { verifyOpenMessagingSignature } from '../../src/providers/genesys/open-messaging'
import { scgFake, twilioFake } from '../support/fake-control'
import { genesysTenant, hubSignature256, openMessage, twilioGenesysTenant } from '../support/genesys'
import { createHarness } from '../support/harness'
import { rows, wipeTables } from '../support/rows'
import { json } from '../support/worker'

const delivery = (id: string, tenant: string) => rows.delivery(`genesys:${id}`, tenant)

beforeEach(wipeTables)

describe('Open Messaging signature (X-Hub-Signature-256)', () => {
  it('matches a vector computed with Node crypto', async () => {
    const body = '{"id":"vector"}'
    expect(
      await verifyOpenMessagingSignature(
        'om-secret-vector',
        'sha256=1illp9rFC/VtmmMD6WSvJ3TL2lawDhnom5h+8hGy1xY=',
        body,
      ),
    ).toBe(true)
    expect(await verifyOpenMessagingSignature('om-secret-vector', null, body)).toBe(false)
    // A second vector, composed independently of this code base.
    const vector = '{"messages":[{"channel":{"id":"16504661149"},"text":"hi"}]}'
    const expected = 'sha256=VEYy7XjeL3gBqfOqLbMqleZOyiTtQs6nJbRhB5TF2kc='
    expect(await verifyOpenMessagingSignature('gc_secret', expected, vector)).toBe(true)
    expect(hubSignature256('gc_secret', vector)).toBe(expected)
  })

  it('accepts exactly what node:crypto signs, for random bodies and secrets', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 1 }), fc.string(), fc.string(), async (secret, body, other) => {
        const good = hubSignature256(secret, body)
        expect(await verifyOpenMessagingSignature(secret, good, body)).toBe(true)
        if (other !== body) expect(await verifyOpenMessagingSignature(secret, good, other)).toBe(false)
        if (other !== secret && other !== '') {
          expect(await verifyOpenMessagingSignature(other, good, body)).toBe(false)
        }
        const hex = `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`
        expect(await verifyOpenMessagingSignature(secret, hex, body)).toBe(false)
      }),
      { numRuns: 60 },
    )
  })

  const refused: [string, (raw: string, secret: string) => string | null][] = [
    ['missing header', () => null],
    ['wrong secret', (raw) => hubSignature256('not-the-secret', raw)],
    // The body Genesys signed differs from the one that arrived by one byte.
    ['tampered body', (raw, s) => hubSignature256(s, `${raw} `)],
    [
      'hex instead of base64',
      (raw, s) => `sha256=${createHmac('sha256', s).update(raw, 'utf8').digest('hex')}`,
    ],
    ['no sha256= prefix', (raw, s) => hubSignature256(s, raw).slice(7)],
  ]
  for (const [name, sign] of refused) {
    it(`403 FORBIDDEN and nothing sent: ${name}`, async () => {
      const t = genesysTenant()
      const msg = openMessage()
      const raw = JSON.stringify(msg)
      const res = await createHarness([t]).post.openMessaging(t, raw, sign(raw, t.outboundSecret))
      expect(res.status).toBe(403)
      expect(await json(res)).toMatchObject({ status: 'ERROR', error: { code: 'FORBIDDEN' } })
      expect(await scgFake.requests(t.scgToken)).toHaveLength(0)
      expect(await delivery(msg.id, t.id)).toBeNull()
    })
  }

  it('403 for an unknown tenant and for a tenant without Genesys', async () => {
    const t = genesysTenant()
    const raw = JSON.stringify(openMessage())
    const unknown = await createHarness([t]).post.openMessaging({ ...t, id: 'nosuchtenant' }, raw)
    expect(unknown.status).toBe(403)
    const plain = genesysTenant({ genesys: undefined })
    const res = await createHarness([plain]).post.openMessaging(plain, raw)
    expect(res.status).toBe(403)
    expect(await scgFake.requests(plain.scgToken)).toHaveLength(0)
  })
})

describe('Open Messaging → provider', () => {
  it('sends an Outbound Text through SCG to channel.to.id with attachments, and records the delivery', async () => {
    const t = genesysTenant({}, { sender: 'channel:GenesysSender0000001' })
    const msg = openMessage({
      content: [
        {
          contentType: 'Attachment',
          attachment: { url: 'https://cdn.example.com/a.jpg', mediaType: 'Image' },
        },
      ],
    })
    const res = await createHarness([t]).post.openMessaging(t, msg)
    const body = await json(res)
    expect(res.status).toBe(200)
    expect(body).toMatchObject({ status: 'OK', provider: 'scg', id: msg.id })
    expect(body.message_id).toMatch(/^[\w-]{22}$/)
    const sent = await scgFake.requests(t.scgToken)
    expect(sent).toHaveLength(1)
    expect(sent[0]?.body).toMatchObject({
      from: 'channel:GenesysSender0000001',
      to: ['+14155550123'],
      body: 'Hello from the contact centre',
      media_urls: ['https://cdn.example.com/a.jpg'],
    })
    expect(await delivery(msg.id, t.id)).toMatchObject({
      source: 'genesys',
      genesys_message_id: msg.id,
      provider: 'scg',
      state: 'sent',
      provider_message_id: body.message_id,
      recipient_masked: '+1415*****23',
    })
    // The customer's number is not a CI360 identity.
    expect(await env.IDENTITY_CACHE.get('phone:+14155550123')).toBeNull()
  })

  it('sends through Twilio when genesys.provider is twilio', async () => {
    const g = twilioGenesysTenant()
    const msg = openMessage()
    const res = await createHarness([g]).post.openMessaging(g, msg)
    expect(res.status).toBe(200)
    expect(await json(res)).toMatchObject({ status: 'OK', provider: 'twilio', id: msg.id })
    const sent = await twilioFake.requests(g.accountSid)
    expect(sent).toHaveLength(1)
    expect(sent[0]?.body).toMatchObject({ To: ['+14155550123'], Body: ['Hello from the contact centre'] })
  })

  it('a redelivered message is DUPLICATE with one SMS', async () => {
    const t = genesysTenant()
    const h = createHarness([t])
    const msg = openMessage()
    const first = await json(await h.post.openMessaging(t, msg))
    const again = await h.post.openMessaging(t, msg)
    expect(again.status).toBe(200)
    expect(await json(again)).toEqual({
      status: 'DUPLICATE',
      id: msg.id,
      state: 'sent',
      message_id: first.message_id,
    })
    expect(await scgFake.requests(t.scgToken)).toHaveLength(1)
  })

  it('provider rejection → 422 PROVIDER_REJECTED with the Genesys id', async () => {
    const t = genesysTenant()
    await scgFake.script(t.scgToken, [
      { status: 400, body: { error_code: 'SCG_ERROR_40025', error_description: 'bad number' } },
    ])
    const msg = openMessage()
    const res = await createHarness([t]).post.openMessaging(t, msg)
    expect(res.status).toBe(422)
    expect(await json(res)).toMatchObject({
      status: 'ERROR',
      error: { code: 'PROVIDER_REJECTED', id: msg.id, provider_code: 'SCG_ERROR_40025' },
    })
    expect(await delivery(msg.id, t.id)).toMatchObject({ state: 'rejected', source: 'genesys' })
  })

  it('provider down → 200 QUEUED, then the cron sends it once', async () => {
    const t = genesysTenant()
    const h = createHarness([t], { via: 'app' })
    await scgFake.script(t.scgToken, [
      { status: 503, body: { error_code: 'SCG_ERROR_5030', error_description: 'busy' } },
    ])
    const msg = openMessage()
    const res = await h.post.openMessaging(t, msg)
    expect(res.status).toBe(200)
    const body = await json(res)
    expect(body).toMatchObject({ status: 'QUEUED', id: msg.id })
    const row = await rows.failedRequest(`genesys:${msg.id}`)
    expect(row).toMatchObject({ kind: 'scg', state: 'pending' })
    h.clock.set(row.next_attempt_at)
    expect(await h.runCron()).toMatchObject({ attempted: 1, states: { done: 1 } })
    const sent = await scgFake.requests(t.scgToken)
    expect(sent).toHaveLength(2)
    expect(sent[1]?.body).toEqual(sent[0]?.body)
    expect(await delivery(msg.id, t.id)).toMatchObject({ state: 'sent', attempts: 2 })
    h.clock.advance(3_600_000)
    expect((await h.runCron()).attempted).toBe(0)
  })
})

describe('Open Messaging bad input: documented replies, never a 5xx, never a send', () => {
  const cases: [string, (secret: string) => string, number, string][] = [
    ['malformed JSON', () => '{"id":', 400, 'INVALID_JSON'],
    [
      'no channel.to.id',
      () => JSON.stringify(openMessage({ channel: { to: {} } })),
      400,
      'VALIDATION_FAILED',
    ],
    ['no text and no attachment', () => JSON.stringify(openMessage({ text: '' })), 400, 'VALIDATION_FAILED'],
    ['an Inbound message', () => JSON.stringify(openMessage({ direction: 'Inbound' })), 200, 'IGNORED'],
    ['a Receipt', () => JSON.stringify(openMessage({ type: 'Receipt' })), 200, 'IGNORED'],
  ]
  for (const [name, make, status, code] of cases) {
    it(`${name} → ${status} ${code}`, async () => {
      const t = genesysTenant()
      const raw = make(t.outboundSecret)
      const res = await createHarness([t]).post.openMessaging(t, raw)
      expect(res.status).toBe(status)
      const body = await json(res)
      if (status === 200) expect(body).toMatchObject({ status: code, reason: expect.any(String) })
      else expect(body).toMatchObject({ status: 'ERROR', error: { code } })
      expect(await scgFake.requests(t.scgToken)).toHaveLength(0)
    })
  }
})
