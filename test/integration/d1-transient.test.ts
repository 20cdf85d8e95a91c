import { describe, expect, it } from 'vitest'
import { isTransientD1Error } from '../../src/storage/d1-call'
import { appWith } from '../support/app'
import { answerLostD1, D1_OVERLOADED, flakyD1 } from '../support/broken'
import { FIXTURE_TENANT } from '../support/constants'
import { basicEventManager, scgEnvelope, viaApp } from '../support/event-manager'
import { ci360Fake, scgFake } from '../support/fake-control'
import { outboundEvent } from '../support/fixtures'
import { rows } from '../support/rows'
import { webhookTenant } from '../support/scg-webhook'
import { envWith, json, testTenant } from '../support/worker'

const sendSms = (db: D1Database) => {
  const t = testTenant()
  const { app } = appWith(envWith([t]), { db })
  const event = outboundEvent('outbound-sms')
  const res = app.request(`https://connector.example.com/v1/tenants/${FIXTURE_TENANT}/scg/messages`, {
    method: 'POST',
    headers: { 'x-api-key': t.apiKey, 'content-type': 'text/plain;charset=UTF-8' },
    body: JSON.stringify(event),
  })
  return { t, event, res }
}

const deliverStatus = (db: D1Database) => {
  const t = webhookTenant()
  const { app } = appWith(envWith([t]), { db })
  const em = basicEventManager(viaApp(app), { id: FIXTURE_TENANT, webhook: t.webhook })
  const envelope = scgEnvelope('scg-status-delivered')
  return { t, envelope, res: em.deliver(envelope) }
}

describe('D1 hiccups: a transient D1 failure is retried twice inside the request', () => {
  it('outbound: D1 overloaded twice, then fine → 200 OK, one SCG call, the delivery stored as sent', async () => {
    const flaky = flakyD1(2)
    const { t, event, res } = sendSms(flaky.db)
    const r = await res
    expect(r.status).toBe(200)
    expect(await json(r)).toMatchObject({ status: 'OK', provider: 'scg', guid: event.guid })
    expect(await scgFake.requests(t.scgToken)).toHaveLength(1)
    const row = await rows.delivery(event.guid)
    expect(row.state).toBe('sent')
    expect(flaky.calls()).toBeGreaterThan(3)
  })

  it('outbound: D1 overloaded three times in a row → 503 STORAGE_UNAVAILABLE, nothing sent', async () => {
    const flaky = flakyD1(3)
    const { t, event, res } = sendSms(flaky.db)
    const r = await res
    expect(r.status).toBe(503)
    expect(await json(r)).toMatchObject({ status: 'ERROR', error: { code: 'STORAGE_UNAVAILABLE' } })
    expect(flaky.calls()).toBe(3) // the claim, tried three times
    expect(await scgFake.requests(t.scgToken)).toHaveLength(0)
    expect(await rows.delivery(event.guid)).toBeNull()
  })

  it('a non-transient D1 error is not retried: 503 after one attempt', async () => {
    const flaky = flakyD1(1, 'D1_ERROR: no such table: deliveries: SQLITE_ERROR')
    const { t, res } = sendSms(flaky.db)
    expect((await res).status).toBe(503)
    expect(flaky.calls()).toBe(1)
    expect(await scgFake.requests(t.scgToken)).toHaveLength(0)
  })

  it('Event Manager webhook: D1 overloaded twice → 200 OK, the event injected once and claimed', async () => {
    const { t, envelope, res } = deliverStatus(flakyD1(2).db)
    const r = await res
    expect(r.status).toBe(200)
    expect(await json(r)).toMatchObject({ status: 'OK', event_id: envelope['event-id'] })
    expect(await ci360Fake.requests(t.ci360Key)).toHaveLength(1)
    expect((await rows.scgWebhookEvent(envelope['event-id']))?.outcome).toBe('OK')
  })

  it('Event Manager webhook: D1 overloaded three times → 503, nothing injected (Syniverse redelivers)', async () => {
    const { t, res } = deliverStatus(flakyD1(3).db)
    const r = await res
    expect(r.status).toBe(503)
    expect(await json(r)).toMatchObject({ error: { code: 'STORAGE_UNAVAILABLE' } })
    expect(await ci360Fake.requests(t.ci360Key)).toHaveLength(0)
  })

  it('outbound: the claim committed but its answer was lost → the retry knows its own claim: 200 OK, one SCG call', async () => {
    const lossy = answerLostD1(/INSERT INTO deliveries/)
    const { t, event, res } = sendSms(lossy.db)
    const r = await res
    expect(lossy.hits()).toBe(2) // the claim, then its retry
    expect(r.status).toBe(200)
    expect(await json(r)).toMatchObject({ status: 'OK', provider: 'scg', guid: event.guid })
    expect(await scgFake.requests(t.scgToken)).toHaveLength(1)
    expect((await rows.delivery(event.guid))?.state).toBe('sent')
  })

  it('Event Manager webhook: the claim committed but its answer was lost → 200 OK, injected exactly once', async () => {
    const lossy = answerLostD1(/INSERT INTO webhook_events/)
    const { t, envelope, res } = deliverStatus(lossy.db)
    const r = await res
    expect(lossy.hits()).toBe(1) // the retry found its own token and did not run the batch again
    expect(r.status).toBe(200)
    expect(await json(r)).toMatchObject({ status: 'OK', event_id: envelope['event-id'] })
    expect(await ci360Fake.requests(t.ci360Key)).toHaveLength(1)
    expect((await rows.scgWebhookEvent(envelope['event-id']))?.outcome).toBe('OK')
    const stored = (await rows.inboundEventsOf(t.id)).filter((e) => e.event_key === envelope['event-id'])
    expect(stored.map((e) => e.state)).toEqual(['injected'])
  })

  it.each([
    [D1_OVERLOADED, true],
    ['D1_ERROR: D1 DB is overloaded. Requests queued for too long.', true],
    ['D1_ERROR: Network connection lost.', true],
    ['D1_ERROR: D1 DB storage operation exceeded timeout which caused object to be reset.', true],
    ['D1_ERROR: Internal error while starting up D1 DB storage caused object to be reset.', true],
    ['D1_ERROR: D1 DB reset because its code was updated.', true],
    ['D1_ERROR: Cannot resolve D1 DB due to transient issue on remote node.', true],
    ['D1_ERROR: UNIQUE constraint failed: deliveries.guid: SQLITE_CONSTRAINT', false],
    ['D1_ERROR: no such column: nope: SQLITE_ERROR', false],
    ['D1_ERROR: simulated outage', false],
  ])('%s → transient: %s', (message, transient) => {
    expect(isTransientD1Error(new Error(message))).toBe(transient)
    expect(isTransientD1Error(new Error('D1_EXEC_ERROR', { cause: new Error(message) }))).toBe(transient)
  })
})
