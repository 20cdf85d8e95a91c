import { beforeEach, describe, expect, it } from 'vitest'
import { ci360Fake } from '../support/fake-control'
import { rows, wipeTables } from '../support/rows'
import {
  inboundParams,
  postTwilioWebhook,
  sendThroughTwilio,
  statusParams,
  twilioTenant,
} from '../support/twilio'
import { call, envWith, json } from '../support/worker'

beforeEach(wipeTables)

describe('operator API: Twilio webhooks are stored and replayable', () => {
  it('records a status callback (form body, message id, tracking) and replays it into CI360 again', async () => {
    const t = twilioTenant()
    const testEnv = envWith([t])
    const admin = (path: string, method = 'GET') =>
      call(testEnv, `/v1/tenants/${t.id}${path}`, { method, headers: { 'x-api-key': t.adminKey } })
    const { event, sid } = await sendThroughTwilio(testEnv, t)
    const path = `/v1/webhooks/twilio/${t.id}/status`
    const params = statusParams(t, sid, 'delivered')
    expect((await json(await postTwilioWebhook(testEnv, path, params, t.authToken))).status).toBe('OK')
    expect((await json(await postTwilioWebhook(testEnv, path, params, t.authToken))).status).toBe('DUPLICATE')

    const list = await json(await admin(`/events?source=twilio&q=${event.guid}`))
    expect(list.items.map((i: any) => [i.type, i.event_key, i.state, i.message_id])).toEqual([
      ['status', `${sid}:delivered`, 'duplicate', sid],
      ['status', `${sid}:delivered`, 'injected', sid],
    ])
    const id = list.items[1].id
    const detail = (await json(await admin(`/events/${id}`))).item
    expect(detail.content_type).toBe('application/x-www-form-urlencoded')
    expect(new URLSearchParams(detail.body).get('MessageStatus')).toBe('delivered')

    const replay = await admin(`/events/${id}/replay`, 'POST')
    expect(replay.status).toBe(200)
    expect(await json(replay)).toMatchObject({ status: 'OK', message_sid: sid, guid: event.guid })
    const sent = (await ci360Fake.requests(t.ci360Key)).map((r) => r.body.eventName)
    expect(sent).toEqual(['Twilio Delivered', 'Twilio Delivered'])
    const row = await rows.inboundEvent(id)
    expect(row.attempts).toBe(2)
    expect(JSON.parse(row.tracking).map((e: any) => e.outcome)).toEqual(['OK', 'OK'])
  })

  it('records an incoming message ignored for want of an identity', async () => {
    const t = twilioTenant()
    const testEnv = envWith([t])
    const path = `/v1/webhooks/twilio/${t.id}/inbound`
    const params = inboundParams(t, '+12125550999', 'Hi')
    const res = await postTwilioWebhook(testEnv, path, params, t.authToken)
    expect(res.headers.get('x-connector-status')).toBe('IGNORED')
    const [item] = (
      await json(
        await call(testEnv, `/v1/tenants/${t.id}/events?type=inbound`, {
          headers: { 'x-api-key': t.adminKey },
        }),
      )
    ).items
    expect(item).toMatchObject({
      source: 'twilio',
      type: 'inbound',
      state: 'ignored',
      event_key: `inbound:${params.MessageSid}`,
    })
  })
})
