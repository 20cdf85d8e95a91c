import { beforeEach, describe, expect, it } from 'vitest'
import { ISO, insertRows, setup } from '../support/admin'
import { OTHER_TENANT } from '../support/constants'
import { scgFake } from '../support/fake-control'
import { rows, wipeTables } from '../support/rows'
import { call, json } from '../support/worker'

beforeEach(wipeTables)

describe('operator API: listing failed requests', () => {
  it('pages through every row exactly once, newest first, with a stable cursor', async () => {
    const { t, admin } = setup()
    const start = Date.now()
    await insertRows(t.id, 7, ['scg', 'ci360_event'], start)
    await insertRows(OTHER_TENANT, 3, ['scg'], start)

    const seen: string[] = []
    let cursor: string | null = null
    let pages = 0
    do {
      const res = await admin(`/failed-requests?limit=3${cursor ? `&cursor=${cursor}` : ''}`)
      expect(res.status).toBe(200)
      const body = await json(res)
      expect(body.status).toBe('OK')
      seen.push(...body.items.map((i: any) => i.id))
      cursor = body.next_cursor
      pages++
      if (pages === 1) await insertRows(t.id, 1, ['scg'], start + 1000) // a newer row mid-way
    } while (cursor)
    expect(pages).toBe(3)
    expect(seen).toHaveLength(7)
    expect(new Set(seen).size).toBe(7)
    expect(seen).toEqual([...seen].sort().reverse())
    const guids = await rows.failedRequestGuids(seen)
    expect(guids.every((g) => g.startsWith(`${t.id}-row-`))).toBe(true)
  })

  it('lists the documented fields only (no event body, no secrets) and filters by state and kind', async () => {
    const { t, admin } = setup()
    const start = Date.now()
    await insertRows(t.id, 6, ['scg', 'ci360_event'], start)
    const all = await json(await admin('/failed-requests'))
    expect(all.items).toHaveLength(6)
    expect(all.next_cursor).toBeNull()
    const item = all.items[0]
    expect(Object.keys(item).sort()).toEqual(
      [
        'attempts',
        'created_at',
        'guid',
        'http_status',
        'id',
        'kind',
        'last_error',
        'next_attempt_at',
        'state',
        'updated_at',
      ].sort(),
    )
    expect(item).toMatchObject({
      guid: `${t.id}-row-5`,
      kind: 'ci360_event',
      state: 'done',
      http_status: 503,
    })
    expect(item.created_at).toMatch(ISO)
    expect(item.next_attempt_at).toMatch(ISO)

    const dead = await json(await admin('/failed-requests?state=dead'))
    expect(dead.items.map((i: any) => i.guid).sort()).toEqual([`${t.id}-row-1`, `${t.id}-row-4`])
    const ci360 = await json(await admin('/failed-requests?kind=ci360_event&state=done'))
    expect(ci360.items.map((i: any) => i.guid)).toEqual([`${t.id}-row-5`])
    const text = JSON.stringify(all)
    for (const secret of [t.scgToken, t.apiKey, t.adminKey]) expect(text).not.toContain(secret)
  })

  const bad: [string, string][] = [
    ['limit=0', 'limit'],
    ['limit=101', 'limit'],
    ['limit=abc', 'limit'],
    ['limit=1.5', 'limit'],
    ['state=failed', 'state'],
    ['kind=email', 'kind'],
    ['cursor=not-a-cursor', 'cursor'],
    [`cursor=${btoa('v1:zzz')}`, 'cursor'],
  ]
  for (const [query, param] of bad) {
    it(`?${query} → 400 VALIDATION_FAILED naming ${param}`, async () => {
      const res = await setup().admin(`/failed-requests?${query}`)
      expect(res.status).toBe(400)
      const body = await json(res)
      expect(body.error).toMatchObject({ code: 'VALIDATION_FAILED', fields: [param] })
      expect(body.error.message).toContain(param)
    })
  }
})

describe('operator API: one failed request', () => {
  it('shows the row with its event body; unknown and other tenants’ ids are 404', async () => {
    const { admin, queue, other } = setup()
    const { event, id } = await queue()
    const res = await admin(`/failed-requests/${id}`)
    expect(res.status).toBe(200)
    const body = await json(res)
    expect(body.item).toMatchObject({ id, guid: event.guid, kind: 'scg', state: 'pending', attempts: 1 })
    expect(body.item.event_body).toEqual(event)

    expect((await admin('/failed-requests/0000000000000ffffffffffffffff')).status).toBe(404)
    const theirs = await queue(other)
    const cross = await admin(`/failed-requests/${theirs.id}`)
    expect(cross.status).toBe(404)
    expect((await json(cross)).error.code).toBe('NOT_FOUND')
    expect((await admin(`/failed-requests/${theirs.id}/retry`, { method: 'POST' })).status).toBe(404)
    expect((await admin(`/failed-requests/${theirs.id}`, { method: 'DELETE' })).status).toBe(404)
    expect(await rows.failedRequest(theirs.event.guid)).toMatchObject({ state: 'pending', attempts: 1 })
  })

  it('wrong, missing, CI360 and other tenants’ keys get 401 on every admin route', async () => {
    const { t, other, testEnv, queue } = setup()
    const { event, id } = await queue()
    const routes: [string, string][] = [
      ['GET', '/failed-requests'],
      ['GET', `/failed-requests/${id}`],
      ['POST', `/failed-requests/${id}/retry`],
      ['DELETE', `/failed-requests/${id}`],
      ['GET', `/messages/${event.guid}`],
    ]
    for (const [method, path] of routes) {
      for (const key of [undefined, 'wrong', t.apiKey, other.adminKey]) {
        const res = await call(testEnv, `/v1/tenants/${t.id}${path}`, {
          method,
          headers: key ? { 'x-api-key': key } : {},
        })
        expect(res.status).toBe(401)
        expect((await json(res)).error.code).toBe('UNAUTHORIZED')
      }
    }
    expect(await scgFake.requests(t.scgToken)).toHaveLength(1)
    expect(await rows.failedRequest(event.guid)).toMatchObject({ state: 'pending', attempts: 1 })
  })
})
