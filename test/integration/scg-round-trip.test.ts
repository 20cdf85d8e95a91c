import { describe, expect, it } from 'vitest'
import { FIXTURE_TENANT, OTHER_TENANT } from '../support/constants'
import {
  basicEventManager,
  createEventManager,
  type EventManagerAuth,
  scgEnvelope,
  viaWorker,
} from '../support/event-manager'
import { ci360Fake, scgFake } from '../support/fake-control'
import { outboundEvent } from '../support/fixtures'
import { rows } from '../support/rows'
import { globalWebhookVars, webhookTenant } from '../support/scg-webhook'
import { call, envWith, json } from '../support/worker'

const delivery = (guid: string, tenant = FIXTURE_TENANT) => rows.delivery(guid, tenant)

type Tenant = ReturnType<typeof webhookTenant>

/** Send a fixture through the outbound route; returns the CI360 event, SCG's id and our external id. */
async function send(testEnv: Env, t: Tenant, fixture: 'outbound-sms' | 'outbound-mms' = 'outbound-sms') {
  const event = outboundEvent(fixture, { patch: (e) => (e.externalTenantId = t.id) })
  const res = await call(testEnv, `/v1/tenants/${t.id}/scg/messages`, {
    body: event,
    headers: { 'x-api-key': t.apiKey, 'content-type': 'text/plain;charset=UTF-8' },
  })
  const body = await json(res)
  expect(body.status).toBe('OK')
  const sent = await scgFake.requests(t.scgToken)
  const externalId = sent.at(-1)?.body.external_id as string
  return { event, messageId: body.message_id as string, externalId }
}

/** The Event Manager's DELIVERED event for that send: SCG echoes its id and our external id. */
const statusFor = (sent: { messageId: string; externalId: string }, state = 'DELIVERED') =>
  scgEnvelope('scg-status-delivered', (e) => {
    e.event['fld-val-list'].message_request_id = sent.messageId
    e.event['fld-val-list'].external_message_request_id = sent.externalId
    e.event['fld-val-list'].new_state = state
  })

describe('round trip: SCG send → Event Manager DELIVERED → CI360 event', () => {
  for (const route of ['global', 'tenant'] as const) {
    for (const mode of ['basic', 'oauth'] as const) {
      it(`${route} route, ${mode} auth`, async () => {
        const t = webhookTenant()
        const global = globalWebhookVars()
        const testEnv = envWith([t], global.vars)
        const creds = route === 'global' ? global.webhook : t.webhook
        const auth: EventManagerAuth =
          mode === 'basic'
            ? { mode: 'basic', username: creds.username, password: creds.password }
            : {
                mode: 'oauth',
                grant: 'client_credentials',
                clientId: creds.clientId,
                clientSecret: creds.clientSecret,
                ...(route === 'tenant' ? { tokenPath: `/v1/oauth/token?tenant=${t.id}` } : {}),
              }
        const em = createEventManager({
          send: viaWorker(testEnv),
          url: route === 'global' ? '/v1/webhooks/scg' : `/v1/webhooks/scg/${t.id}`,
          auth,
        })

        const sent = await send(testEnv, t)
        expect(sent.externalId).toBe(`${sent.event.identityId}|TSK_1187|${FIXTURE_TENANT}|${sent.event.guid}`)
        const status = statusFor(sent)
        const res = await em.deliver(status)
        expect(res.status).toBe(200)
        expect(await json(res)).toEqual({ status: 'OK', event_id: status['event-id'] })

        expect((await ci360Fake.requests(t.ci360Key)).map((r) => r.body)).toEqual([
          {
            eventName: 'SMS Delivered',
            datahub_id: sent.event.identityId,
            externalCode: 'TSK_1187',
            responseTrackingCode: '4d1e9b7a-2c6f-4a30-8e5d-b1f7c3a9e062',
            connector_event_id: `scg:${status['event-id']}`,
          },
        ])
        const row = await delivery(sent.event.guid)
        expect(row).toMatchObject({
          state: 'sent',
          provider_status: 'DELIVERED',
          provider_message_id: sent.messageId,
        })
        expect(JSON.parse(row.history).at(-1)).toMatchObject({
          state: 'DELIVERED',
          detail: 'message_id Tm4Bq8Zk1Xw6Rn3Vp9Lc2H, reason_code 200',
        })

        // The reply from the same phone finds the identity the send cached.
        const reply = scgEnvelope('scg-mo-text')
        expect((await json(await em.deliver(reply))).status).toBe('OK')
        expect((await ci360Fake.requests(t.ci360Key)).at(-1)?.body).toEqual({
          eventName: 'Inbound SMS',
          datahub_id: sent.event.identityId,
          message_body: 'Yes, see you then!',
          connector_event_id: `scg:${reply['event-id']}`,
        })
        if (mode === 'oauth') expect(em.tokenLog).toEqual([{ grant: 'client_credentials', status: 200 }])
      })
    }
  }

  it('an unmapped state is still added to the delivery history (reply IGNORED, no CI360 event)', async () => {
    const t = webhookTenant()
    const testEnv = envWith([t])
    const sent = await send(testEnv, t)
    const em = basicEventManager(viaWorker(testEnv), t)
    const status = statusFor(sent, 'SENT')
    expect(await json(await em.deliver(status))).toEqual({
      status: 'IGNORED',
      event_id: status['event-id'],
      reason: 'no scg_response_event_SENT is configured',
    })
    expect((await json(await em.redeliver(status))).status).toBe('DUPLICATE')
    const row = await delivery(sent.event.guid)
    expect(row.provider_status).toBe('SENT')
    expect(JSON.parse(row.history).filter((h: any) => h.state === 'SENT')).toHaveLength(1)
    expect(await ci360Fake.requests(t.ci360Key)).toHaveLength(0)
  })

  it('never touches another tenant’s delivery, even when SCG names its message id', async () => {
    const a = webhookTenant(FIXTURE_TENANT)
    const b = webhookTenant(OTHER_TENANT)
    const testEnv = envWith([a, b])
    const ofB = await send(testEnv, b, 'outbound-mms')
    const em = basicEventManager(viaWorker(testEnv), a)
    const status = statusFor({ messageId: ofB.messageId, externalId: `dh-a|TSK_1|${FIXTURE_TENANT}` })
    expect((await json(await em.deliver(status))).status).toBe('OK')
    const row = await delivery(ofB.event.guid, OTHER_TENANT)
    expect(row.provider_status).toBeNull()
    expect(JSON.parse(row.history).map((h: any) => h.state)).toEqual(['sending', 'sent'])
  })
})
