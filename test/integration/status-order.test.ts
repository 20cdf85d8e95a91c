import { describe, expect, it } from 'vitest'
import { FIXTURE_TENANT } from '../support/constants'
import { basicEventManager, scgEnvelope, viaWorker } from '../support/event-manager'
import { ci360Fake, scgFake } from '../support/fake-control'
import { outboundEvent } from '../support/fixtures'
import { rows } from '../support/rows'
import { webhookTenant } from '../support/scg-webhook'
import { postTwilioWebhook, sendThroughTwilio, statusParams, twilioTenant } from '../support/twilio'
import { call, envWith, json } from '../support/worker'

/**
 * Providers do not report statuses in order: a final status is never replaced by an earlier one that
 * arrives late, and the late one never reaches CI360. Every CI360 status event carries the outbound
 * event's responseTrackingCode (docs/guarantees.md).
 */

const delivery = (guid: string, tenant = FIXTURE_TENANT) => rows.delivery(guid, tenant)

const statusPath = (tenant = FIXTURE_TENANT) => `/v1/webhooks/twilio/${tenant}/status`

describe('Twilio: out-of-order status callbacks', () => {
  it('delivered then a late sent: history only, provider_status stays delivered, one CI360 event', async () => {
    const t = twilioTenant(FIXTURE_TENANT, { twilio_response_event_sent: 'Twilio Sent' })
    const testEnv = envWith([t])
    const { event, sid } = await sendThroughTwilio(testEnv, t)
    const first = await postTwilioWebhook(
      testEnv,
      statusPath(),
      statusParams(t, sid, 'delivered'),
      t.authToken,
    )
    expect((await json(first)).status).toBe('OK')

    const late = await postTwilioWebhook(testEnv, statusPath(), statusParams(t, sid, 'sent'), t.authToken)
    expect(late.status).toBe(200)
    expect(await json(late)).toEqual({
      status: 'IGNORED',
      message_sid: sid,
      message_status: 'sent',
      guid: event.guid,
      reason: 'late status sent after final delivered: recorded in the history only',
    })
    const row = await delivery(event.guid)
    expect(row.provider_status).toBe('delivered')
    expect(JSON.parse(row.history).slice(-2)).toMatchObject([
      { state: 'delivered' },
      { state: 'sent', detail: 'late, not applied' },
    ])
    expect((await ci360Fake.requests(t.ci360Key)).map((r) => r.body.eventName)).toEqual(['Twilio Delivered'])
  })

  it('sent then delivered (in order): both applied and both sent, with the responseTrackingCode', async () => {
    const t = twilioTenant(FIXTURE_TENANT, { twilio_response_event_sent: 'Twilio Sent' })
    const testEnv = envWith([t])
    const { event, sid } = await sendThroughTwilio(testEnv, t)
    for (const s of ['sent', 'delivered']) {
      const res = await postTwilioWebhook(testEnv, statusPath(), statusParams(t, sid, s), t.authToken)
      expect((await json(res)).status).toBe('OK')
    }
    expect((await delivery(event.guid)).provider_status).toBe('delivered')
    const code = 'b7f1d3a9-0e6c-4b28-9d5a-c3e8f0b2a716'
    expect((await ci360Fake.requests(t.ci360Key)).map((r) => r.body)).toEqual([
      {
        eventName: 'Twilio Sent',
        datahub_id: event.identityId,
        externalCode: 'TSK_1222',
        responseTrackingCode: code,
        connector_event_id: `twilio:${sid}:sent`,
      },
      {
        eventName: 'Twilio Delivered',
        datahub_id: event.identityId,
        externalCode: 'TSK_1222',
        responseTrackingCode: code,
        connector_event_id: `twilio:${sid}:delivered`,
      },
    ])
  })
})

type Tenant = ReturnType<typeof webhookTenant>

async function sendScg(testEnv: Env, t: Tenant, patch?: (e: any) => void) {
  const event = outboundEvent('outbound-sms', {
    patch: (e) => {
      e.externalTenantId = t.id
      patch?.(e)
    },
  })
  const res = await call(testEnv, `/v1/tenants/${t.id}/scg/messages`, {
    body: event,
    headers: { 'x-api-key': t.apiKey, 'content-type': 'text/plain;charset=UTF-8' },
  })
  const body = await json(res)
  expect(body.status).toBe('OK')
  const externalId = (await scgFake.requests(t.scgToken)).at(-1)?.body.external_id as string
  return { event, messageId: body.message_id as string, externalId }
}

const scgStatus = (sent: { messageId: string; externalId: string }, state: string) =>
  scgEnvelope('scg-status-delivered', (e) => {
    e['event-id'] = crypto.randomUUID()
    e.event['fld-val-list'].message_request_id = sent.messageId
    e.event['fld-val-list'].external_message_request_id = sent.externalId
    e.event['fld-val-list'].new_state = state
  })

describe('SCG: out-of-order message_state_change events', () => {
  it('DELIVERED then a late SENT: history only, provider_status stays DELIVERED, one CI360 event', async () => {
    const t = webhookTenant(FIXTURE_TENANT, { scg_response_event_SENT: 'SMS Sent' })
    const testEnv = envWith([t])
    const sent = await sendScg(testEnv, t)
    const em = basicEventManager(viaWorker(testEnv), t)
    const delivered = scgStatus(sent, 'DELIVERED')
    expect((await json(await em.deliver(delivered))).status).toBe('OK')
    const late = scgStatus(sent, 'SENT')
    const res = await em.deliver(late)
    expect(res.status).toBe(200)
    expect(await json(res)).toEqual({
      status: 'IGNORED',
      event_id: late['event-id'],
      reason: 'late status SENT after final DELIVERED: recorded in the history only',
    })
    const row = await delivery(sent.event.guid)
    expect(row.provider_status).toBe('DELIVERED')
    expect(JSON.parse(row.history).at(-1)).toMatchObject({
      state: 'SENT',
      detail: expect.stringMatching(/^late/),
    })
    expect((await ci360Fake.requests(t.ci360Key)).map((r) => r.body)).toEqual([
      {
        eventName: 'SMS Delivered',
        datahub_id: sent.event.identityId,
        externalCode: 'TSK_1187',
        responseTrackingCode: '4d1e9b7a-2c6f-4a30-8e5d-b1f7c3a9e062',
        connector_event_id: `scg:${delivered['event-id']}`,
      },
    ])
  })

  it('READ after DELIVERED is applied; a late DELIVERED after READ is not', async () => {
    const t = webhookTenant()
    const testEnv = envWith([t])
    const sent = await sendScg(testEnv, t)
    const em = basicEventManager(viaWorker(testEnv), t)
    expect((await json(await em.deliver(scgStatus(sent, 'READ')))).status).toBe('OK')
    expect((await json(await em.deliver(scgStatus(sent, 'DELIVERED')))).status).toBe('IGNORED')
    expect((await delivery(sent.event.guid)).provider_status).toBe('READ')
    expect((await ci360Fake.requests(t.ci360Key)).map((r) => r.body.eventName)).toEqual(['SMS Read'])
  })

  it('responseTrackingCode at the top level of the outbound event is used too', async () => {
    const t = webhookTenant()
    const testEnv = envWith([t])
    const sent = await sendScg(testEnv, t, (e) => {
      e.contactResponse = null
      e.responseTrackingCode = 'top-level-code-1'
    })
    expect(sent.externalId).toBe(`${sent.event.identityId}|TSK_1187|${FIXTURE_TENANT}|${sent.event.guid}`)
    const em = basicEventManager(viaWorker(testEnv), t)
    expect((await json(await em.deliver(scgStatus(sent, 'DELIVERED')))).status).toBe('OK')
    expect((await ci360Fake.requests(t.ci360Key)).at(-1)?.body).toMatchObject({
      eventName: 'SMS Delivered',
      responseTrackingCode: 'top-level-code-1',
    })
    expect((await delivery(sent.event.guid)).response_tracking_code).toBe('top-level-code-1')
  })
})
