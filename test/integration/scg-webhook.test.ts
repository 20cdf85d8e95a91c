import { describe, expect, it } from 'vitest'
import { appWith } from '../support/app'
import { FIXTURE_TENANT } from '../support/constants'
import {
  basicEventManager,
  createEventManager,
  type EventManagerAuth,
  type ScgFixtureName,
  scgEnvelope,
  viaApp,
  viaWorker,
} from '../support/event-manager'
import { ci360Fake } from '../support/fake-control'
import { rows } from '../support/rows'
import { cacheFixtureIdentities, globalWebhookVars, webhookTenant } from '../support/scg-webhook'
import { envWith, json } from '../support/worker'

/** Every fixture's expected CI360 body (test/fixtures/ci360/README.md, "SCG webhook fixtures"). */
const EXPECTED: Record<ScgFixtureName, Record<string, string>> = {
  'scg-status-delivered': {
    datahub_id: '3f9d2c71-8a4e-3b6f-9c1d-7e5a2b8f0c13',
    externalCode: 'TSK_1187',
    eventName: 'SMS Delivered',
  },
  'scg-status-failed': {
    datahub_id: '8b4e1d07-3c9a-3f25-a6e8-1f0c7d2b9e54',
    externalCode: 'TSK_1190',
    eventName: 'SMS Failed',
  },
  'scg-status-clicked': {
    datahub_id: 'd05a7c3e-9f12-3b84-8e6d-4c1a0b9f7e28',
    externalCode: 'TSK_1201',
    eventName: 'SMS Clicked',
  },
  'scg-status-read': {
    datahub_id: '71c8e4b2-5a0d-3e69-9f17-b3d6a0c8e245',
    externalCode: 'TSK_1214',
    eventName: 'SMS Read',
  },
  'scg-mo-text': {
    eventName: 'Inbound SMS',
    datahub_id: '3f9d2c71-8a4e-3b6f-9c1d-7e5a2b8f0c13',
    message_body: 'Yes, see you then!',
  },
  'scg-mo-rcs-postback': {
    eventName: 'Inbound SMS',
    datahub_id: 'd05a7c3e-9f12-3b84-8e6d-4c1a0b9f7e28',
    message_body: 'CONFIRM_BOOKING_7731',
  },
}

const names = Object.keys(EXPECTED) as ScgFixtureName[]

describe('SCG webhook: every fixture becomes the expected CI360 event', () => {
  for (const route of ['global', 'tenant'] as const) {
    for (const format of ['json', 'xml'] as const) {
      for (const mode of ['basic', 'oauth'] as const) {
        it(`${route} route, ${mode} auth, ${format}`, async () => {
          await cacheFixtureIdentities()
          const t = webhookTenant()
          const global = globalWebhookVars()
          let clock = Date.now()
          const { app } = appWith(envWith([t], global.vars), { now: () => clock })
          const creds = route === 'global' ? global.webhook : t.webhook
          const auth: EventManagerAuth =
            mode === 'basic'
              ? { mode, username: creds.username, password: creds.password }
              : {
                  mode,
                  grant: 'password',
                  clientId: creds.clientId,
                  clientSecret: creds.clientSecret,
                  username: creds.username,
                  password: creds.password,
                  ...(route === 'tenant' ? { tokenPath: `/v1/oauth/token?tenant=${t.id}` } : {}),
                }
          const em = createEventManager({
            send: viaApp(app),
            url: route === 'global' ? '/v1/webhooks/scg' : `/v1/webhooks/scg/${FIXTURE_TENANT}`,
            auth,
            format,
          })
          const ids: string[] = []
          for (const [i, name] of names.entries()) {
            if (i === 3) clock += 3601_000 // the access token expires half-way: Event Manager refreshes it
            const envelope = scgEnvelope(name)
            ids.push(envelope['event-id'])
            const res = await em.deliver(envelope)
            expect(res.status, name).toBe(200)
            expect(await json(res), name).toEqual({ status: 'OK', event_id: envelope['event-id'] })
            expect((await rows.scgWebhookEvent(envelope['event-id']))?.outcome).toBe('OK')
          }
          const sent = await ci360Fake.requests(t.ci360Key)
          expect(sent.map((r) => r.body)).toEqual(
            names.map((n, i) => ({ ...EXPECTED[n], connector_event_id: `scg:${ids[i]}` })),
          )
          for (const r of sent) {
            expect(r.headers.client_id).toBe(FIXTURE_TENANT) // the JWT verified with the tenant's secret
            expect(r.headers['content-type']).toMatch(/^application\/json/)
          }
          if (mode === 'oauth') {
            expect(em.tokenLog).toEqual([
              { grant: 'password', status: 200 },
              { grant: 'refresh_token', status: 200 },
            ])
          }
        })
      }
    }
  }

  it('identity_field=subject_id: the MO event carries the sender as subject_id and no datahub_id', async () => {
    await cacheFixtureIdentities()
    const t = webhookTenant(FIXTURE_TENANT, { identity_field: 'subject_id' })
    const em = basicEventManager(viaWorker(envWith([t])), { id: FIXTURE_TENANT, webhook: t.webhook })
    const envelope = scgEnvelope('scg-mo-text')
    const res = await em.deliver(envelope)
    expect((await json(res)).status).toBe('OK')
    const sent = await ci360Fake.requests(t.ci360Key)
    expect(sent.map((r) => r.body)).toEqual([
      {
        eventName: 'Inbound SMS',
        subject_id: '+14155550123',
        message_body: 'Yes, see you then!',
        connector_event_id: `scg:${envelope['event-id']}`,
      },
    ])
  })

  it('identity_field on the global route comes from the global vars, even for an uncached sender', async () => {
    const t = webhookTenant()
    const global = globalWebhookVars({ identity_field: 'subject_id' })
    const em = basicEventManager(viaWorker(envWith([t], global.vars)), { webhook: global.webhook })
    const envelope = scgEnvelope('scg-mo-text', (e) => {
      e.event['fld-val-list'].from_address = '+14155550777'
    })
    expect((await json(await em.deliver(envelope))).status).toBe('OK')
    expect((await ci360Fake.requests(t.ci360Key)).map((r) => r.body)).toEqual([
      {
        eventName: 'Inbound SMS',
        subject_id: '+14155550777',
        message_body: 'Yes, see you then!',
        connector_event_id: `scg:${envelope['event-id']}`,
      },
    ])
  })

  it('scg_mo_body_uppercase=true upper-cases text replies but never a postback', async () => {
    await cacheFixtureIdentities()
    const t = webhookTenant(FIXTURE_TENANT, { scg_mo_body_uppercase: 'true' })
    const em = basicEventManager(viaWorker(envWith([t])), { id: FIXTURE_TENANT, webhook: t.webhook })
    await em.deliver(scgEnvelope('scg-mo-text'))
    await em.deliver(scgEnvelope('scg-mo-rcs-postback'))
    expect((await ci360Fake.requests(t.ci360Key)).map((r) => r.body.message_body)).toEqual([
      'YES, SEE YOU THEN!',
      'CONFIRM_BOOKING_7731',
    ])
  })

  it('a redelivery with attempt 2 is DUPLICATE and injects nothing the second time (JSON and XML)', async () => {
    await cacheFixtureIdentities()
    const t = webhookTenant()
    for (const format of ['json', 'xml'] as const) {
      const em = basicEventManager(
        viaWorker(envWith([t])),
        { id: FIXTURE_TENANT, webhook: t.webhook },
        format,
      )
      for (const name of ['scg-status-delivered', 'scg-mo-text'] as const) {
        const envelope = scgEnvelope(name)
        expect((await json(await em.deliver(envelope))).status).toBe('OK')
        const again = await em.redeliver(envelope)
        expect(envelope.attempt).toBe(2)
        expect(again.status).toBe(200)
        expect(await json(again)).toEqual({ status: 'DUPLICATE', event_id: envelope['event-id'] })
      }
    }
    expect(await ci360Fake.requests(t.ci360Key)).toHaveLength(4)
  })

  it('accepts event_id (underscore) and attempt as a string', async () => {
    const t = webhookTenant()
    const em = basicEventManager(viaWorker(envWith([t])), { id: FIXTURE_TENANT, webhook: t.webhook })
    const envelope = scgEnvelope('scg-status-failed', (e) => {
      e.event_id = e['event-id']
      delete e['event-id']
      e.attempt = '1'
    })
    const res = await em.deliver(envelope)
    expect(await json(res)).toEqual({ status: 'OK', event_id: envelope.event_id })
    expect((await ci360Fake.requests(t.ci360Key)).map((r) => r.body)).toEqual([
      { ...EXPECTED['scg-status-failed'], connector_event_id: `scg:${envelope.event_id}` },
    ])
  })
})
