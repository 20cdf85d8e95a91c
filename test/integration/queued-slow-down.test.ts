import { env } from 'cloudflare:workers'
import { beforeEach, describe, expect, it } from 'vitest'
import { pacerName } from '../../src/pacing/pace'
import failed1039 from '../fixtures/providers/scg-status-failed-1039-throttled.json'
import twilio21611 from '../fixtures/providers/twilio-create-400-21611.json'
import twilio20429 from '../fixtures/providers/twilio-create-429-20429.json'
import { FIXTURE_TENANT } from '../support/constants'
import { ci360Fake, scgFake, twilioFake } from '../support/fake-control'
import { outboundEvent } from '../support/fixtures'
import { createHarness, type Harness } from '../support/harness'
import { rows, wipeTables } from '../support/rows'
import { webhookTenant } from '../support/scg-webhook'
import { statusParams, twilioTenant } from '../support/twilio'
import { json } from '../support/worker'

const SENT = 'SMS Sent'
const FAILED = 'SMS Send Failed'

const ownSender = (prefix: string) => `${prefix}${crypto.randomUUID().replaceAll('-', '').slice(0, 18)}`

const pacerOf = (h: Harness, tenantId: string, provider: 'scg' | 'twilio', sender: string) => {
  const ns = h.deps.pacers
  if (!ns) throw new Error('no pacer binding')
  return ns.get(ns.idFromName(pacerName(tenantId, provider, sender)))
}

/** The 1039 fixture as Event Manager posts it about the message SCG took for `request`. */
function throttledReceipt(messageRequestId: string, request: { body: unknown } | undefined): any {
  const receipt = structuredClone(failed1039) as any
  receipt['event-id'] = crypto.randomUUID().replaceAll('-', '').slice(0, 22)
  receipt.event.timestamp = new Date().toISOString()
  receipt.event['fld-val-list'].message_request_id = messageRequestId
  receipt.event['fld-val-list'].external_message_request_id = (request?.body as any)?.external_id
  return receipt
}

const ci360Names = async (key: string) => (await ci360Fake.requests(key)).map((r) => r.body?.eventName)

beforeEach(async () => {
  await wipeTables()
  await env.DB.prepare('DELETE FROM suppressions').run()
})

describe('slow-down signals: back on the queue, the sender slowed, no failure reported', () => {
  for (const [name, status, body] of [
    ['20429 (too many concurrent requests)', 429, twilio20429],
    ['21611 (the From number queue is full)', 400, twilio21611],
  ] as const) {
    it(`Twilio ${name}: the message is accepted again and re-queued, the pace halved; the next attempt sends it`, async () => {
      const from = `+1888555${String(Math.floor(Math.random() * 9000) + 1000)}`
      const t = twilioTenant(FIXTURE_TENANT, {
        send_mode: 'queued',
        senders: { [from]: { mps: 4 } },
        sent_event: SENT,
        send_failed_event: FAILED,
      })
      const h = createHarness([t], { via: 'app' })
      await twilioFake.script(t.accountSid, [{ status, body }])
      const event = outboundEvent('outbound-twilio', {
        patch: (e) =>
          (e.impression.creativeContent = e.impression.creativeContent.replace('+18885550100', from)),
      })
      expect((await h.post.twilio(t, event)).status).toBe(202)

      await h.drainSends()

      const row = await rows.delivery(event.guid, t.id)
      expect(row).toMatchObject({ state: 'accepted', attempts: 1 })
      expect(row.last_error).toContain(String(body.code))
      const back = h.sends.pending()
      expect(back).toHaveLength(1)
      expect(back[0]?.delaySeconds).toBeGreaterThan(0)
      const pacer = await pacerOf(h, t.id, 'twilio', from).status({ mps: 4, burst: 4 }, h.clock.now())
      expect(pacer.factor).toBe(0.5)
      expect(pacer.lastSlowDown?.reason).toBe(String(body.code))
      expect(await rows.failedRequest(event.guid, t.id)).toBeNull()
      expect(await ci360Names(t.ci360Key)).not.toContain(FAILED)

      h.clock.advance(3_000)
      await h.drainSends()
      expect(await rows.delivery(event.guid, t.id)).toMatchObject({ state: 'sent', attempts: 2 })
      expect(await twilioFake.requests(t.accountSid)).toHaveLength(2)
      expect(await ci360Names(t.ci360Key)).toEqual([SENT])
    })
  }

  it('SCG FAILED 1039 receipt: the sent row goes back to accepted with the claim, re-queued, the pace halved, no SMS Failed event; sent again once', async () => {
    const sender = ownSender('channel:Slow')
    const t = webhookTenant(FIXTURE_TENANT, {
      send_mode: 'queued',
      senders: { [sender]: { mps: 20 } },
      sent_event: SENT,
      send_failed_event: FAILED,
    })
    const h = createHarness([t], { via: 'app' })
    const event = outboundEvent('outbound-sms-oneline', {
      patch: (e) =>
        (e.impression.creativeContent = e.impression.creativeContent.replace(
          'channel:Zx8QpLm2RkWc4sTn7YbVhA',
          sender,
        )),
    })
    await h.post.scg(t, event)
    await h.drainSends()
    const sent = await rows.delivery(event.guid, t.id)
    expect(sent.state).toBe('sent')
    const [request] = await scgFake.requests(t.scgToken)

    const receipt = throttledReceipt(sent.provider_message_id, request)
    const res = await h.eventManager(t).deliver(receipt)

    expect(res.status).toBe(200)
    expect(await json(res)).toMatchObject({ status: 'IGNORED' })
    const row = await rows.delivery(event.guid, t.id)
    expect(row).toMatchObject({ state: 'accepted', provider_status: 'FAILED', provider_message_id: null })
    expect(await ci360Names(t.ci360Key)).toEqual([SENT])
    expect(h.sends.pending()).toHaveLength(1)
    const status = await pacerOf(h, t.id, 'scg', sender).status({ mps: 20, burst: 20 }, h.clock.now())
    expect(status).toMatchObject({ factor: 0.5, lastSlowDown: { reason: '1039' } })

    // Event Manager redelivers the same receipt: one re-queue only.
    expect((await h.eventManager(t).redeliver(receipt)).status).toBe(200)
    expect(h.sends.pending()).toHaveLength(1)

    h.clock.advance(3_000)
    await h.drainSends()
    expect(await scgFake.requests(t.scgToken)).toHaveLength(2)
    expect(await rows.delivery(event.guid, t.id)).toMatchObject({ state: 'sent' })
  })

  it('Twilio status failed with ErrorCode 30001 (queue overflow behind a Messaging Service): back on the queue, no Twilio Failed event', async () => {
    const t = twilioTenant(FIXTURE_TENANT, {
      send_mode: 'queued',
      twilio_messaging_service_sid: `MG${'a'.repeat(32)}`,
    })
    const h = createHarness([t], { via: 'app' })
    const event = outboundEvent('outbound-twilio')
    await h.post.twilio(t, event)
    await h.drainSends()
    const sent = await rows.delivery(event.guid, t.id)
    expect(sent.state).toBe('sent')

    const res = await h.post.twilioWebhook(
      `/v1/webhooks/twilio/${t.id}/status`,
      statusParams(t, sent.provider_message_id, 'failed', { ErrorCode: '30001' }),
      t.authToken,
    )

    expect(res.status).toBe(200)
    expect(await rows.delivery(event.guid, t.id)).toMatchObject({ state: 'accepted' })
    expect(await ci360Names(t.ci360Key)).not.toContain('Twilio Failed')
    expect(h.sends.pending()).toHaveLength(1)
  })

  it('a 1039 receipt for a message sent in sync mode is reported as a failure, as before', async () => {
    const t = webhookTenant(FIXTURE_TENANT)
    const h = createHarness([t], { via: 'app' })
    const event = outboundEvent('outbound-sms-oneline')
    expect((await h.post.scg(t, event)).status).toBe(200)
    const sent = await rows.delivery(event.guid, t.id)
    const [request] = await scgFake.requests(t.scgToken)
    const receipt = throttledReceipt(sent.provider_message_id, request)

    const res = await h.eventManager(t).deliver(receipt)

    expect(await json(res)).toMatchObject({ status: 'OK' })
    expect(await ci360Names(t.ci360Key)).toEqual(['SMS Failed'])
    expect(await rows.delivery(event.guid, t.id)).toMatchObject({ state: 'sent' })
    expect(h.sends.pending()).toHaveLength(0)
  })
})
