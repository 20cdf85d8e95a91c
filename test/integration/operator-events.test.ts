import { beforeEach, describe, expect, it } from 'vitest'
import { operatorSetup } from '../support/operator'
import { rows, wipeTables } from '../support/rows'
import { json } from '../support/worker'

beforeEach(wipeTables)

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/

describe('operator API: stored webhook events', () => {
  it('an event IGNORED for a missing event name is injected on replay once the name is configured', async () => {
    const op = operatorSetup({ scg_response_event_DELIVERED: undefined })
    const first = await op.scg('scg-status-delivered')
    expect(first).toMatchObject({
      status: 'IGNORED',
      reason: 'no scg_response_event_DELIVERED is configured',
    })
    expect(await op.ci360Events()).toHaveLength(0)

    const list = await json(await op.admin('/events'))
    expect(list.items).toHaveLength(1)
    const item = list.items[0]
    expect(item).toMatchObject({
      source: 'scg',
      event_key: first.event_id,
      type: 'message_state_change',
      state: 'ignored',
      attempts: 1,
    })
    expect(item.received_at).toMatch(ISO)

    op.configure({ scg_response_event_DELIVERED: 'SMS Delivered' })
    const replay = await op.admin(`/events/${item.id}/replay`, { method: 'POST' })
    expect(replay.status).toBe(200)
    expect(await json(replay)).toMatchObject({ status: 'OK', event_id: first.event_id })
    expect(await op.ci360Events()).toEqual([
      {
        eventName: 'SMS Delivered',
        datahub_id: '3f9d2c71-8a4e-3b6f-9c1d-7e5a2b8f0c13',
        externalCode: 'TSK_1187',
        connector_event_id: `scg:${first.event_id}`,
      },
    ])

    const detail = await json(await op.admin(`/events/${item.id}`))
    expect(detail.item).toMatchObject({ id: item.id, state: 'injected', attempts: 2 })
    expect(detail.item.tracking).toEqual([
      expect.objectContaining({ target: null, http_status: null, outcome: 'IGNORED' }),
      expect.objectContaining({ target: 'ci360', http_status: 201, outcome: 'OK', replay: true }),
    ])
    expect(detail.item.tracking[1].latency_ms).toBeGreaterThanOrEqual(0)
    // The body is kept as received, phone numbers included (admin keys only).
    expect(JSON.parse(detail.item.body)['event-id']).toBe(first.event_id)
    expect(detail.item.body).toContain('+14155550123')
  })

  it('replaying an injected event injects again and adds a second tracking entry; a redelivery is a duplicate row', async () => {
    const op = operatorSetup()
    const envelope = (await import('../support/event-manager')).scgEnvelope('scg-status-delivered')
    expect(await op.webhook(envelope)).toMatchObject({ status: 'OK' })
    expect(await op.webhook(envelope)).toMatchObject({ status: 'DUPLICATE' })
    expect(await op.ci360Events()).toHaveLength(1)

    const list = await json(await op.admin('/events'))
    expect(list.items.map((i: any) => i.state)).toEqual(['duplicate', 'injected'])
    const injected = list.items[1]
    const replay = await json(await op.admin(`/events/${injected.id}/replay`, { method: 'POST' }))
    expect(replay.status).toBe('OK')
    expect(await op.ci360Events()).toHaveLength(2)
    const row = await rows.inboundEvent(injected.id)
    expect(row).toMatchObject({ state: 'injected', attempts: 2 })
    const tracking = JSON.parse(row.tracking)
    expect(tracking).toHaveLength(2)
    expect(tracking.map((e: any) => [e.target, e.outcome, e.replay ?? false])).toEqual([
      ['ci360', 'OK', false],
      ['ci360', 'OK', true],
    ])
  })

  it('a failed injection is recorded as queued with the attempt tracked; mark handled keeps it for audit', async () => {
    const op = operatorSetup()
    const { ci360Fake } = await import('../support/fake-control')
    await ci360Fake.script(op.t.ci360Key, [{ status: 503, body: 'down' }])
    expect(await op.scg('scg-status-failed')).toMatchObject({ status: 'QUEUED' })
    const [item] = (await json(await op.admin('/events'))).items
    expect(item.state).toBe('queued')
    const detail = (await json(await op.admin(`/events/${item.id}`))).item
    expect(detail.tracking).toEqual([
      expect.objectContaining({ target: 'ci360', http_status: 503, outcome: 'ERROR' }),
    ])

    const handled = await op.admin(`/events/${item.id}/handled`, { method: 'POST' })
    expect(handled.status).toBe(200)
    expect(await json(handled)).toEqual({ status: 'OK' })
    const row = await rows.inboundEvent(item.id)
    expect(row.state).toBe('handled')
    expect(JSON.parse(row.tracking).at(-1)).toMatchObject({ outcome: 'HANDLED' })
    expect((await json(await op.admin('/events?state=handled'))).items.map((i: any) => i.id)).toEqual([
      item.id,
    ])
  })

  it('a later retry of a queued event is tracked on its row: injected on success, dead when CI360 refuses it', async () => {
    const op = operatorSetup()
    const { ci360Fake } = await import('../support/fake-control')
    await ci360Fake.script(op.t.ci360Key, [
      { status: 503, body: 'down' },
      { status: 503, body: 'down' },
    ])
    const ok = await op.scg('scg-status-failed')
    const refused = await op.scg('scg-status-clicked')
    expect([ok.status, refused.status]).toEqual(['QUEUED', 'QUEUED'])
    const events = (await json(await op.admin('/events'))).items
    const idOf = (eventId: string) => events.find((i: any) => i.event_key === eventId).id

    const okRetry = await op.admin(
      `/failed-requests/${(await rows.ci360EventFailure(op.t.id, ok.event_id)).id}/retry`,
      {
        method: 'POST',
      },
    )
    expect((await json(okRetry)).status).toBe('OK')
    const injected = await rows.inboundEvent(idOf(ok.event_id))
    expect(injected.state).toBe('injected')
    expect(JSON.parse(injected.tracking).map((e: any) => [e.http_status, e.outcome])).toEqual([
      [503, 'ERROR'],
      [201, 'OK'],
    ])

    await ci360Fake.script(op.t.ci360Key, [{ status: 400, body: 'bad event' }])
    await op.admin(`/failed-requests/${(await rows.ci360EventFailure(op.t.id, refused.event_id)).id}/retry`, {
      method: 'POST',
    })
    const dead = await rows.inboundEvent(idOf(refused.event_id))
    expect(dead.state).toBe('dead')
    expect(JSON.parse(dead.tracking).at(-1)).toMatchObject({
      target: 'ci360',
      http_status: 400,
      outcome: 'ERROR',
    })
  })

  it('an event whose first CI360 call is refused for good is dead, like its failed request', async () => {
    const op = operatorSetup()
    const { ci360Fake } = await import('../support/fake-control')
    await ci360Fake.script(op.t.ci360Key, [{ status: 400, body: 'bad event' }])
    const reply = await op.scg('scg-status-failed')
    expect(reply).toMatchObject({ status: 'QUEUED' })
    expect(reply.retry_at).toBeUndefined()
    expect((await rows.ci360EventFailure(op.t.id, reply.event_id)).state).toBe('dead')
    const [item] = (await json(await op.admin('/events'))).items
    expect(item).toMatchObject({ event_key: reply.event_id, state: 'dead' })
    expect(JSON.parse((await rows.inboundEvent(item.id)).tracking)).toEqual([
      expect.objectContaining({ target: 'ci360', http_status: 400, outcome: 'ERROR' }),
    ])
  })

  it('a replay of a queued event that reaches CI360 ends its pending failed request, so it is not sent twice', async () => {
    const op = operatorSetup()
    const { ci360Fake } = await import('../support/fake-control')
    await ci360Fake.script(op.t.ci360Key, [{ status: 503, body: 'down' }])
    const reply = await op.scg('scg-status-failed')
    expect(reply).toMatchObject({ status: 'QUEUED' })
    const pending = await rows.ci360EventFailure(op.t.id, reply.event_id)
    expect(pending.state).toBe('pending')
    const [item] = (await json(await op.admin('/events'))).items
    expect(item.state).toBe('queued')

    const replay = await json(await op.admin(`/events/${item.id}/replay`, { method: 'POST' }))
    expect(replay).toMatchObject({ status: 'OK', event_id: reply.event_id })
    expect(await op.ci360Events()).toHaveLength(2)
    expect(await rows.ci360EventFailure(op.t.id, reply.event_id)).toMatchObject({
      id: pending.id,
      state: 'done',
      next_attempt_at: null,
      last_error: 'sent by a replay of its webhook event',
    })
    expect(await rows.inboundEvent(item.id)).toMatchObject({ state: 'injected', attempts: 2 })

    // The operator's Retry (the cron's step) now answers DUPLICATE and sends nothing.
    const retry = await json(await op.admin(`/failed-requests/${pending.id}/retry`, { method: 'POST' }))
    expect(retry).toMatchObject({ status: 'DUPLICATE', state: 'done' })
    expect(await op.ci360Events()).toHaveLength(2)
  })

  it('a replay of a queued event that fails again leaves its failed request pending', async () => {
    const op = operatorSetup()
    const { ci360Fake } = await import('../support/fake-control')
    await ci360Fake.script(op.t.ci360Key, [
      { status: 503, body: 'down' },
      { status: 503, body: 'down' },
    ])
    const reply = await op.scg('scg-status-failed')
    const [item] = (await json(await op.admin('/events'))).items
    const replay = await json(await op.admin(`/events/${item.id}/replay`, { method: 'POST' }))
    expect(replay.status).toBe('QUEUED')
    expect((await rows.ci360EventFailure(op.t.id, reply.event_id)).state).toBe('pending')
    const row = await rows.inboundEvent(item.id)
    expect(row).toMatchObject({ state: 'queued', attempts: 2 })
    expect(JSON.parse(row.tracking).map((e: any) => [e.http_status, e.outcome, e.replay ?? false])).toEqual([
      [503, 'ERROR', false],
      [503, 'ERROR', true],
    ])
  })

  it('filters by source, state, type, time and q (event key, provider message id, guid), and pages newest first', async () => {
    const op = operatorSetup({ scg_response_event_READ: undefined })
    const sent = await op.send('ok')
    const withOurId = await op.scg('scg-status-delivered', (e) => {
      e.event['fld-val-list'].message_request_id = sent.messageId
    })
    const read = await op.scg('scg-status-read')
    const mo = await op.scg('scg-mo-text', (e) => {
      e.event['fld-val-list'].from_address = '+15005550100' // not cached: ignored
    })
    const others = [await op.scg('scg-status-clicked'), await op.scg('scg-status-failed')]
    const all = (await json(await op.admin('/events'))).items
    expect(all).toHaveLength(5)

    const ids = async (query: string) =>
      (await json(await op.admin(`/events?${query}`))).items.map((i: any) => i.event_key)
    expect(await ids('state=ignored')).toEqual([mo.event_id, read.event_id])
    expect(await ids('type=mo_message_received')).toEqual([mo.event_id])
    expect(await ids('source=twilio')).toEqual([])
    expect((await ids('source=scg')).length).toBe(5)
    expect(await ids(`q=${read.event_id}`)).toEqual([read.event_id])
    expect(await ids(`q=${sent.messageId}`)).toEqual([withOurId.event_id])
    expect(await ids(`q=${sent.guid}`)).toEqual([withOurId.event_id])
    const future = new Date(Date.now() + 60_000).toISOString()
    expect(await ids(`from=${future}`)).toEqual([])
    expect((await ids(`to=${future}`)).length).toBe(5)

    const seen: string[] = []
    let cursor: string | null = null
    let pages = 0
    do {
      const body: Record<string, any> = await json(
        await op.admin(`/events?limit=2${cursor ? `&cursor=${cursor}` : ''}`),
      )
      seen.push(...body.items.map((i: any) => i.id))
      cursor = body.next_cursor
      pages++
    } while (cursor)
    expect(pages).toBe(3)
    expect(seen).toEqual(all.map((i: any) => i.id))
    expect(seen).toEqual([...seen].sort().reverse())
    expect(all.map((i: any) => i.event_key)).toEqual([
      others[1]?.event_id,
      others[0]?.event_id,
      mo.event_id,
      read.event_id,
      withOurId.event_id,
    ])
  })

  const bad: [string, string][] = [
    ['source=email', 'source'],
    ['state=pending', 'state'],
    [`type=${'x'.repeat(61)}`, 'type'],
    ['from=yesterday', 'from'],
    ['to=2026-13-45T00:00:00Z', 'to'],
    ['from=2026-05-02T00:00:00Z&to=2026-05-01T00:00:00Z', 'to'],
    [`q=${'x'.repeat(201)}`, 'q'],
    ['limit=0', 'limit'],
    ['limit=101', 'limit'],
    ['cursor=nope!', 'cursor'],
  ]
  for (const [query, param] of bad) {
    it(`GET /events?${query.slice(0, 40)} → 400 naming ${param}`, async () => {
      const res = await operatorSetup().admin(`/events?${query}`)
      expect(res.status).toBe(400)
      const body = await json(res)
      expect(body.error).toMatchObject({ code: 'VALIDATION_FAILED', fields: [param] })
      expect(body.error.message).toContain(param)
    })
  }

  it('refuses the CI360 key and another tenant’s admin key; another tenant’s event is 404', async () => {
    const op = operatorSetup()
    await op.scg('scg-status-delivered')
    const [item] = (await json(await op.admin('/events'))).items
    const routes: [string, string][] = [
      ['GET', '/events'],
      ['GET', `/events/${item.id}`],
      ['POST', `/events/${item.id}/replay`],
      ['POST', `/events/${item.id}/handled`],
      ['GET', '/messages'],
      ['GET', '/stats'],
    ]
    for (const [method, path] of routes) {
      for (const key of [op.t.apiKey, op.other.adminKey, '']) {
        const res = await op.admin(path, { method }, key)
        expect(res.status, `${method} ${path}`).toBe(401)
        expect((await json(res)).error.code).toBe('UNAUTHORIZED')
      }
    }
    // The other tenant's own key, on its own path, cannot see this tenant's event.
    for (const [method, path] of routes.slice(1, 4)) {
      const res = await op.admin(path as string, { method }, op.other.adminKey, op.other)
      expect(res.status).toBe(404)
      expect((await json(res)).error.code).toBe('NOT_FOUND')
    }
    expect((await json(await op.admin('/events', {}, op.other.adminKey, op.other))).items).toEqual([])
    expect((await rows.inboundEvent(item.id)).state).toBe('injected')
    expect(await op.ci360Events()).toHaveLength(1)
  })
})
