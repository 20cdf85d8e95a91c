import { env } from 'cloudflare:workers'
import { beforeEach, describe, expect, it } from 'vitest'
import { createDeliveryStore } from '../../src/storage/deliveries'
import { ISO, insertRows, setup, unavailable } from '../support/admin'
import { createClock } from '../support/clock'
import { FIXTURE_TENANT } from '../support/constants'
import { ci360Fake, scgFake } from '../support/fake-control'
import { createHarness } from '../support/harness'
import { rows, seed, wipeTables } from '../support/rows'
import { json } from '../support/worker'

beforeEach(wipeTables)

describe('operator API: retry now', () => {
  it('sends now and answers as the route would (200 OK); a second retry is a DUPLICATE, not a resend', async () => {
    const { t, admin, queue } = setup()
    const { event, id } = await queue()
    const res = await admin(`/failed-requests/${id}/retry`, { method: 'POST' })
    expect(res.status).toBe(200)
    const body = await json(res)
    expect(body).toMatchObject({
      status: 'OK',
      provider: 'scg',
      guid: event.guid,
      id,
      state: 'done',
      attempts: 2,
    })
    expect(body.message_id).toMatch(/^[\w-]{22}$/)
    expect(await rows.delivery(event.guid)).toMatchObject({
      state: 'sent',
      provider_message_id: body.message_id,
    })

    const again = await admin(`/failed-requests/${id}/retry`, { method: 'POST' })
    expect(again.status).toBe(200)
    expect(await json(again)).toEqual({
      status: 'DUPLICATE',
      id,
      guid: event.guid,
      state: 'done',
      message_id: body.message_id,
    })
    expect(await scgFake.requests(t.scgToken)).toHaveLength(2)
  })

  it('202 QUEUED when the provider is still down, 422 PROVIDER_REJECTED on a permanent error', async () => {
    const { t, admin, queue } = setup()
    const { event, id } = await queue()
    await scgFake.script(t.scgToken, [unavailable])
    const queued = await admin(`/failed-requests/${id}/retry`, { method: 'POST' })
    expect(queued.status).toBe(202)
    const q = await json(queued)
    expect(q).toMatchObject({ status: 'QUEUED', guid: event.guid, id, state: 'pending', attempts: 2 })
    expect(Date.parse(q.retry_at)).toBe((await rows.failedRequest(event.guid)).next_attempt_at)
    expect(q.last_error).toContain('503')

    await scgFake.script(t.scgToken, [
      { status: 400, body: { error_code: '4001', error_description: 'Invalid recipient' } },
    ])
    const rejected = await admin(`/failed-requests/${id}/retry`, { method: 'POST' })
    expect(rejected.status).toBe(422)
    expect((await json(rejected)).error).toMatchObject({
      code: 'PROVIDER_REJECTED',
      provider: 'scg',
      provider_status: 400,
      provider_code: '4001',
      guid: event.guid,
      id,
      state: 'dead',
    })
    expect(await rows.failedRequest(event.guid)).toMatchObject({ state: 'dead', attempts: 3 })

    // A dead row can be retried once its cause is fixed.
    const fixed = await admin(`/failed-requests/${id}/retry`, { method: 'POST' })
    expect(fixed.status).toBe(200)
    expect(await json(fixed)).toMatchObject({ status: 'OK', state: 'done', attempts: 4 })
    expect(await scgFake.requests(t.scgToken)).toHaveLength(4)
  })

  it('a retry that fails again on the last allowed attempt → 502 PROVIDER_UNAVAILABLE, row dead', async () => {
    const { t, admin, queue } = setup({ retry_max_attempts: '2' })
    const { event, id } = await queue()
    await scgFake.script(t.scgToken, [unavailable])
    const res = await admin(`/failed-requests/${id}/retry`, { method: 'POST' })
    expect(res.status).toBe(502)
    const body = await json(res)
    expect(body.error).toMatchObject({
      code: 'PROVIDER_UNAVAILABLE',
      provider: 'scg',
      provider_status: 503,
      id,
      state: 'dead',
      attempts: 2,
    })
    expect(await rows.failedRequest(event.guid)).toMatchObject({ state: 'dead', attempts: 2 })
    expect(await rows.delivery(event.guid)).toMatchObject({ state: 'dead', attempts: 2 })
  })

  it('retries a stored CI360 event (kind ci360_event): 200 OK once CI360 accepts it', async () => {
    const { t, admin } = setup()
    await insertRows(t.id, 1, ['ci360_event'], Date.now())
    const row = await rows.failedRequest(`${t.id}-row-0`)
    const res = await admin(`/failed-requests/${row.id}/retry`, { method: 'POST' })
    expect(res.status).toBe(200)
    expect(await json(res)).toEqual({ status: 'OK', id: row.id, guid: row.guid, state: 'done', attempts: 2 })
    expect((await ci360Fake.requests(t.ci360Key)).map((r) => r.body)).toEqual([
      { eventName: 'x', connector_event_id: row.guid },
    ])
  })

  it('an expired event is answered STALE and not sent', async () => {
    const { t, other, queue } = setup({ event_ttl: '60' })
    const { event, id } = await queue()
    const clock = createClock(event.date.generatedTimestamp + 61_000)
    const h = createHarness([t, other], { clock, via: 'app' })
    const res = await h.post.admin(t, `/failed-requests/${id}/retry`, { method: 'POST' })
    expect(res.status).toBe(200)
    expect(await json(res)).toMatchObject({ status: 'STALE', guid: event.guid, id, state: 'expired' })
    expect(await scgFake.requests(t.scgToken)).toHaveLength(1)
    expect(await rows.delivery(event.guid)).toMatchObject({ state: 'expired' })
  })

  it('a row being retried by the cron right now → 409 IN_PROGRESS, nothing sent', async () => {
    const { t, admin, queue } = setup()
    const { event, id } = await queue()
    await seed.lease({ id }, Date.now() + 60_000, 'cron-run')
    const res = await admin(`/failed-requests/${id}/retry`, { method: 'POST' })
    expect(res.status).toBe(409)
    expect((await json(res)).error.code).toBe('IN_PROGRESS')
    expect((await admin(`/failed-requests/${id}`, { method: 'DELETE' })).status).toBe(409)
    expect(await scgFake.requests(t.scgToken)).toHaveLength(1)
    expect(await rows.failedRequest(event.guid)).toMatchObject({ state: 'pending', attempts: 1 })
  })
})

describe('operator API: discard and delivery records', () => {
  it('DELETE discards a pending row (204) and marks its delivery dead; then it is gone (404)', async () => {
    const { admin, queue } = setup()
    const { event, id } = await queue()
    const res = await admin(`/failed-requests/${id}`, { method: 'DELETE' })
    expect(res.status).toBe(204)
    expect(await res.text()).toBe('')
    expect(await rows.failedRequest(event.guid)).toBeNull()
    expect((await admin(`/failed-requests/${id}`)).status).toBe(404)
    expect((await admin(`/failed-requests/${id}`, { method: 'DELETE' })).status).toBe(404)

    const record = await json(await admin(`/messages/${event.guid}`))
    expect(record).toMatchObject({ state: 'dead', attempts: 1 })
    expect(record.history.at(-1)).toMatchObject({ state: 'dead', detail: 'discarded by an operator' })
  })

  it('GET /messages/:guid returns the delivery record with its history and provider status', async () => {
    const { admin, queue, other } = setup()
    const { event, id } = await queue()
    const sent = await json(await admin(`/failed-requests/${id}/retry`, { method: 'POST' }))
    const deliveries = createDeliveryStore(env.DB)
    await deliveries.exec('test', [
      deliveries.providerStatus(FIXTURE_TENANT, event.guid, 'DELIVERED', Date.now()),
    ])

    const res = await admin(`/messages/${event.guid}`)
    expect(res.status).toBe(200)
    const record = await json(res)
    expect(Object.keys(record).sort()).toEqual(
      [
        'attempts',
        'created_at',
        'guid',
        'history',
        'message_id',
        'provider',
        'provider_status',
        'route_attempts',
        'sender',
        'state',
        'status',
        'updated_at',
      ].sort(),
    )
    expect(record).toMatchObject({
      status: 'OK',
      guid: event.guid,
      provider: 'scg',
      state: 'sent',
      provider_status: 'DELIVERED',
      message_id: sent.message_id,
      attempts: 2,
      route_attempts: [],
    })
    expect(record.created_at).toMatch(ISO)
    expect(record.history.map((h: any) => h.state)).toEqual(['sending', 'queued', 'sent', 'DELIVERED'])
    expect(record.history.every((h: any) => ISO.test(h.at))).toBe(true)
    expect(record.history[1].detail).toContain('503')

    expect((await admin('/messages/no-such-guid')).status).toBe(404)
    const theirs = await queue(other)
    expect((await admin(`/messages/${theirs.event.guid}`)).status).toBe(404)
    expect((await admin(`/messages/${theirs.event.guid}`, {}, other)).status).toBe(200)
  })
})
