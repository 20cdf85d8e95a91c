import { beforeEach, describe, expect, it } from 'vitest'
import { notifyJobEnd } from '../../src/bulk/notify'
import { runScheduled } from '../../src/scheduled'
import { createClock } from '../support/clock'
import { FIXTURE_TENANT } from '../support/constants'
import { createEventManager, scgEnvelope, viaApp } from '../support/event-manager'
import { ci360Fake } from '../support/fake-control'
import { createHarness } from '../support/harness'
import { operatorSetup } from '../support/operator'
import { rows, wipeTables } from '../support/rows'
import { webhookTenant } from '../support/scg-webhook'
import { json } from '../support/worker'

/**
 * Every event injected into CI360 carries `connector_event_id`, the same on every attempt of one event
 * (first call, cron retry, replay) and different for two events (docs/guarantees.md).
 */

beforeEach(wipeTables)

function setup(overrides: Record<string, unknown> = {}) {
  const t = webhookTenant(FIXTURE_TENANT, overrides)
  const clock = createClock()
  const { app, deps } = createHarness([t], { clock, via: 'app' })
  const em = createEventManager({
    send: viaApp(app),
    url: `/v1/webhooks/scg/${FIXTURE_TENANT}`,
    auth: { mode: 'basic', username: t.webhook.username, password: t.webhook.password },
  })
  const bodies = async () => (await ci360Fake.requests(t.ci360Key)).map((r) => r.body)
  return { t, clock, deps, em, bodies }
}

describe('connector_event_id on every CI360 event', () => {
  it('CI360 got the event but answered too late: the cron re-sends it with the same id; another event has another', async () => {
    const { t, clock, deps, em, bodies } = setup()
    // The fake records the event, then holds its answer past provider_timeout_ms (1 s).
    await ci360Fake.script(t.ci360Key, [{ hang: true, hangMs: 1500 }])
    const first = scgEnvelope('scg-status-delivered')
    expect(await json(await em.deliver(first))).toMatchObject({ status: 'QUEUED' })
    const stored = await rows.failedRequest(`scg:${first['event-id']}`)
    expect(stored).toMatchObject({ kind: 'ci360_event', state: 'pending' })
    expect(JSON.parse(stored.event_body).connector_event_id).toBe(`scg:${first['event-id']}`)

    clock.advance(60 * 60 * 1000)
    await runScheduled(deps, clock.now())
    expect(await rows.failedRequest(`scg:${first['event-id']}`)).toMatchObject({ state: 'done' })

    const second = scgEnvelope('scg-status-delivered')
    expect(await json(await em.deliver(second))).toMatchObject({ status: 'OK' })

    const sent = await bodies()
    expect(sent).toHaveLength(3)
    const [timedOut, retried, other] = sent
    expect(timedOut.connector_event_id).toBe(`scg:${first['event-id']}`)
    expect(retried).toEqual(timedOut) // the same event, attribute for attribute
    expect(other.connector_event_id).toBe(`scg:${second['event-id']}`)
    expect(other.connector_event_id).not.toBe(timedOut.connector_event_id)
  })

  it('a console replay re-sends the event with the id of the original', async () => {
    const op = operatorSetup()
    const envelope = scgEnvelope('scg-status-delivered')
    expect(await op.webhook(envelope)).toMatchObject({ status: 'OK' })
    const [event] = (await json(await op.admin('/events'))).items
    expect((await json(await op.admin(`/events/${event.id}/replay`, { method: 'POST' }))).status).toBe('OK')
    const sent = await op.ci360Events()
    expect(sent).toHaveLength(2)
    expect(sent[0].connector_event_id).toBe(`scg:${envelope['event-id']}`)
    expect(sent[1].connector_event_id).toBe(sent[0].connector_event_id)
  })

  it('a bulk job’s end event: the same id when sent again for the job, another for another job', async () => {
    const { t, deps, bodies } = setup({ bulk_completed_event: 'Bulk Done' })
    const tenant = deps.config.tenant(t.id)
    if (!tenant) throw new Error('tenant not configured')
    const job = (jobId: string) => ({
      jobId,
      responseTrackingCode: null,
      uploadFilename: 'list.csv',
      s3Uri: 's3://bucket/list.csv',
    })
    const end = { state: 'done', bytes: 10, parts: 1 } as const
    expect(await notifyJobEnd(deps, tenant, job('job-a'), end)).toBe('OK')
    expect(await notifyJobEnd(deps, tenant, job('job-a'), end)).toBe('OK')
    expect(await notifyJobEnd(deps, tenant, job('job-b'), end)).toBe('OK')
    expect((await bodies()).map((b) => [b.eventName, b.connector_event_id])).toEqual([
      ['Bulk Done', 'bulk:job-a'],
      ['Bulk Done', 'bulk:job-a'],
      ['Bulk Done', 'bulk:job-b'],
    ])
  })
  it('a CI360 event stored before events carried the id is retried with its row’s key as the id', async () => {
    const { t, clock, deps, bodies } = setup()
    const old = { eventName: 'SMS Delivered', datahub_id: 'identity-before-upgrade' }
    await deps.stores.failedRequests
      .insert({
        tenantId: t.id,
        kind: 'ci360_event',
        guid: 'scg:stored-before-upgrade',
        generatedTimestamp: null,
        eventBody: JSON.stringify(old),
        httpStatus: 503,
        state: 'pending',
        attempts: 1,
        nextAttemptAt: clock.now(),
        lastError: 'unavailable HTTP 503',
        now: clock.now(),
      })
      .run()
    await runScheduled(deps, clock.now())
    expect(await bodies()).toEqual([{ ...old, connector_event_id: 'scg:stored-before-upgrade' }])
  })

  it.each([
    ['dedupe_key', { dedupe_key: 'x' }],
    ['', {}],
  ])(
    'ci360_event_id_attribute %j: the id goes under that name, or is left out; the stored body keeps it',
    async (attribute, shape) => {
      const { t, em, bodies } = setup({ ci360_event_id_attribute: attribute })
      await ci360Fake.script(t.ci360Key, [{ status: 503 }])
      const envelope = scgEnvelope('scg-status-delivered')
      expect(await json(await em.deliver(envelope))).toMatchObject({ status: 'QUEUED' })
      const stored = await rows.failedRequest(`scg:${envelope['event-id']}`)
      expect(JSON.parse(stored.event_body).connector_event_id).toBe(`scg:${envelope['event-id']}`)
      const [sent] = await bodies()
      expect(sent).not.toHaveProperty('connector_event_id')
      if ('dedupe_key' in shape) expect(sent.dedupe_key).toBe(`scg:${envelope['event-id']}`)
      else expect(Object.keys(sent).sort()).toEqual(['datahub_id', 'eventName', 'externalCode'])
    },
  )
})
