import { describe, expect, it } from 'vitest'
import throttled from '../fixtures/providers/scg-status-failed-1039-throttled.json'
import queueFull from '../fixtures/providers/twilio-create-400-21611.json'
import tooMany from '../fixtures/providers/twilio-create-429-20429.json'
import {
  clearScgReceipts,
  scgFake,
  scgReceipts,
  scgStats,
  setScgRate,
  setTwilioRate,
  twilioFake,
  twilioStats,
} from '../support/fake-control'
import { fakes } from '../support/worker'

// The fakes' per-sender rates must behave as the real providers do over a rate, or pacing tests prove
// nothing: SCG accepts and fails later with 1039, Twilio refuses with 20429 / 21611.
const unique = () => crypto.randomUUID().replaceAll('-', '')

/** Every key path of a JSON object, sorted (values ignored). */
function keyPaths(o: unknown, prefix = ''): string[] {
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return []
  return Object.entries(o)
    .flatMap(([k, v]) => [`${prefix}${k}`, ...keyPaths(v, `${prefix}${k}.`)])
    .sort()
}

describe('the fake SCG over a sender rate', () => {
  async function send(token: string, from: string, externalId: string, body = 'Hello') {
    const res = await fetch(`${fakes().scg}/scg-external-api/api/v1/messaging/message_requests`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ from, to: ['+16505550142'], body, external_id: externalId }),
    })
    return { status: res.status, body: (await res.json()) as any }
  }

  it('accepts every send, then fails those over the rate with a 1039 receipt', async () => {
    const token = `scg-rate-${unique()}`
    await setScgRate(token, { '72345': { mps: 5, burst: 5 } })
    const started = Date.now()
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) => send(token, '72345', `ext-${i}`).then((a) => ({ ...a, i }))),
    )
    expect(Date.now() - started).toBeLessThan(1000)
    expect(answers.map((a) => a.status)).toEqual(Array(12).fill(200))
    // An unlimited sender of the same token is untouched.
    expect((await send(token, '99999', 'ext-free')).status).toBe(200)

    const stats = await scgStats(token)
    expect(stats.accepted).toBe(13)
    expect(stats.overRate).toBeGreaterThanOrEqual(6)
    expect(stats.overRate).toBeLessThanOrEqual(7)
    expect(stats.bySender['72345']).toMatchObject({ accepted: 12, segments: 12, overRate: stats.overRate })
    expect(stats.bySender['72345']?.maxPerSecond).toBe(12)
    expect(stats.bySender['99999']).toMatchObject({ accepted: 1, overRate: 0 })

    const receipts = await scgReceipts(token)
    expect(receipts).toHaveLength(stats.overRate)
    const idToExternal = new Map(answers.map((a) => [a.body.id as string, `ext-${a.i}`]))
    for (const r of receipts) {
      expect(keyPaths(r)).toEqual(keyPaths(throttled))
      const f = r.event['fld-val-list']
      expect(f).toMatchObject({
        new_state: 'FAILED',
        previous_state: 'SENT',
        reason_code: '1039',
        reason_description: 'Message throttled',
        to_address: '+16505550142',
        from_address: '72345',
        fragments_count: 1,
      })
      expect(f.external_message_request_id).toBe(idToExternal.get(f.message_request_id))
      expect(r.topic).toBe('SCG-Message')
      expect(r.event['evt-tp']).toBe('message_state_change')
      expect(r['event-id']).toMatch(/^[A-Za-z0-9_-]{22}$/)
      expect(Math.abs(Date.parse(r.event.timestamp) - Date.now())).toBeLessThan(10_000)
    }
    expect(new Set(receipts.map((r) => r['event-id'])).size).toBe(receipts.length)

    await clearScgReceipts(token)
    expect(await scgReceipts(token)).toEqual([])
  })

  it('counts segments, posts receipts when asked and counts failed posts; reset clears it all', async () => {
    const token = `scg-rate-${unique()}`
    // Nothing listens on port 9 of loopback: every post fails.
    await setScgRate(
      token,
      { '72345': { mps: 1, burst: 2 } },
      { url: 'http://127.0.0.1:9/receipts', username: 'u', password: 'p' },
    )
    expect((await send(token, '72345', 'long', 'x'.repeat(200))).status).toBe(200) // 2 segments
    expect((await send(token, '72345', 'over')).status).toBe(200)
    const [receipt] = await scgReceipts(token)
    expect(receipt.event['fld-val-list']).toMatchObject({
      external_message_request_id: 'over',
      reason_code: '1039',
    })
    await expect.poll(async () => (await scgStats(token)).receiptPostFailures, { timeout: 3000 }).toBe(1)
    expect((await scgStats(token)).bySender['72345']).toMatchObject({ segments: 3, overRate: 1 })

    await scgFake.reset(token)
    expect(await scgReceipts(token)).toEqual([])
    expect(await scgStats(token)).toMatchObject({ accepted: 0, overRate: 0, bySender: {} })
    expect((await send(token, '72345', 'after')).status).toBe(200)
    expect(await scgReceipts(token)).toEqual([])
    expect((await scgStats(token)).overRate).toBe(0)
  })
})

describe('the fake Twilio over its limits', () => {
  const account = () => `AC${unique()}`
  async function create(sid: string, fields: Record<string, string>) {
    const res = await fetch(`${fakes().twilio}/2010-04-01/Accounts/${sid}/Messages.json`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${btoa(`${sid}:twilio-test`)}`,
      },
      body: new URLSearchParams({ To: '+12125550147', Body: 'Hi', ...fields }).toString(),
    })
    return { status: res.status, body: (await res.json()) as any }
  }

  it('answers 429 (20429) past the account concurrency; reset lifts it', async () => {
    const sid = account()
    await setTwilioRate(sid, { concurrency: 2, processMs: 300 })
    const answers = await Promise.all(Array.from({ length: 5 }, () => create(sid, { From: '+18885550100' })))
    const refused = answers.filter((a) => a.status === 429)
    const created = answers.filter((a) => a.status === 201)
    expect(refused.length).toBeGreaterThanOrEqual(1)
    expect(created.length).toBeGreaterThanOrEqual(1)
    expect(refused.length + created.length).toBe(5)
    for (const r of refused) expect(r.body).toEqual(tooMany)
    const stats = await twilioStats(sid)
    expect(stats).toMatchObject({ accepted: created.length, rejected20429: refused.length })
    expect(stats.maxConcurrent).toBeLessThanOrEqual(2)

    await twilioFake.reset(sid)
    expect(await twilioStats(sid)).toMatchObject({
      accepted: 0,
      rejected20429: 0,
      maxConcurrent: 0,
      bySender: {},
    })
    const again = await Promise.all(Array.from({ length: 5 }, () => create(sid, { From: '+18885550100' })))
    expect(again.map((a) => a.status)).toEqual(Array(5).fill(201))
  })

  it("refuses a From number with 21611 once its queue is full; a Messaging Service's message fails with 30001", async () => {
    const sid = account()
    const service = `MG${unique()}`
    await setTwilioRate(sid, {
      senders: { '+18885550100': { mps: 1, queueSeconds: 2 }, [service]: { mps: 1, queueSeconds: 1 } },
    })
    expect((await create(sid, { From: '+18885550100' })).status).toBe(201)
    expect((await create(sid, { From: '+18885550100' })).status).toBe(201)
    const full = await create(sid, { From: '+18885550100' })
    expect(full.status).toBe(400)
    expect(full.body).toEqual(queueFull)
    // Another number of the same account has no limit.
    expect((await create(sid, { From: '+18885550101' })).status).toBe(201)

    expect((await create(sid, { MessagingServiceSid: service })).status).toBe(201)
    const overflow = await create(sid, { MessagingServiceSid: service })
    expect(overflow.status).toBe(201)
    expect(overflow.body.status).toBe('accepted')
    const lookup = await fetch(`${fakes().twilio}/2010-04-01/Accounts/${sid}/Messages.json?PageSize=1`, {
      headers: { authorization: `Basic ${btoa(`${sid}:twilio-test`)}` },
    })
    expect(((await lookup.json()) as any).messages[0]).toMatchObject({
      sid: overflow.body.sid,
      status: 'failed',
      error_code: 30001,
    })

    const stats = await twilioStats(sid)
    expect(stats).toMatchObject({ accepted: 5, rejected21611: 1, queueOverflow30001: 1, rejected20429: 0 })
    expect(stats.bySender['+18885550100']).toMatchObject({ accepted: 2, segments: 2, rejected21611: 1 })
    expect(stats.bySender[service]).toMatchObject({ accepted: 2, queueOverflow30001: 1 })

    await twilioFake.reset(sid)
    expect(await twilioStats(sid)).toMatchObject({ accepted: 0, rejected21611: 0, queueOverflow30001: 0 })
    expect((await create(sid, { From: '+18885550100' })).status).toBe(201)
    expect((await create(sid, { From: '+18885550100' })).status).toBe(201)
    expect((await create(sid, { From: '+18885550100' })).status).toBe(201)
  })
})
