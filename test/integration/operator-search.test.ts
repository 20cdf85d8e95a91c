import { env } from 'cloudflare:workers'
import { beforeEach, describe, expect, it } from 'vitest'
import { ci360Fake } from '../support/fake-control'
import { operatorSetup } from '../support/operator'
import { rows, wipeTables } from '../support/rows'
import { json } from '../support/worker'

beforeEach(wipeTables)

const sum = (counts: Record<string, number>[]) =>
  counts.reduce<Record<string, number>>((acc, c) => {
    for (const [k, n] of Object.entries(c)) acc[k] = (acc[k] ?? 0) + n
    return acc
  }, {})

describe('operator API: message search', () => {
  it('filters by state, provider, time and q (guid, provider message id, externalCode), and pages newest first', async () => {
    const op = operatorSetup()
    const a = await op.send('ok', (e) => {
      e.properties.externalCode = 'TSK_A'
    })
    const b = await op.send('queued')
    const c = await op.send('ok')
    const guids = async (query: string) =>
      (await json(await op.admin(`/messages?${query}`))).items.map((i: any) => i.guid)

    const all = await json(await op.admin('/messages'))
    expect(all.items.map((i: any) => i.guid)).toEqual([c.guid, b.guid, a.guid])
    expect(all.next_cursor).toBeNull()
    expect(all.items[2]).toMatchObject({
      guid: a.guid,
      provider: 'scg',
      state: 'sent',
      message_id: a.messageId,
      external_code: 'TSK_A',
      attempts: 1,
    })
    expect(all.items[2]).not.toHaveProperty('history')
    expect(JSON.stringify(all)).not.toContain('14155550123'.slice(-8)) // numbers only masked

    expect(await guids('state=queued')).toEqual([b.guid])
    expect(await guids('state=sent&provider=scg')).toEqual([c.guid, a.guid])
    expect(await guids('provider=twilio')).toEqual([])
    expect(await guids(`q=${a.guid}`)).toEqual([a.guid])
    expect(await guids(`q=${c.messageId}`)).toEqual([c.guid])
    expect(await guids('q=TSK_A')).toEqual([a.guid])
    expect(await guids(`from=${new Date(Date.now() + 60_000).toISOString()}`)).toEqual([])

    const seen: string[] = []
    let cursor: string | null = null
    do {
      const body: Record<string, any> = await json(
        await op.admin(`/messages?limit=1${cursor ? `&cursor=${cursor}` : ''}`),
      )
      expect(body.items.length).toBeLessThanOrEqual(1)
      seen.push(...body.items.map((i: any) => i.guid))
      cursor = body.next_cursor
    } while (cursor)
    expect(seen).toEqual([c.guid, b.guid, a.guid])

    expect((await json(await op.admin('/messages', {}, op.other.adminKey, op.other))).items).toEqual([])
  })

  const bad: [string, string][] = [
    ['state=lost', 'state'],
    ['provider=email', 'provider'],
    ['from=2026-05-01T25:00:00Z', 'from'],
    ['limit=-1', 'limit'],
    ['cursor=bm9wZQ', 'cursor'],
  ]
  for (const [query, param] of bad) {
    it(`GET /messages?${query} → 400 naming ${param}`, async () => {
      const res = await operatorSetup().admin(`/messages?${query}`)
      expect(res.status).toBe(400)
      expect((await json(res)).error).toMatchObject({ code: 'VALIDATION_FAILED', fields: [param] })
    })
  }
})

describe('operator API: stats', () => {
  it('counts add up to the deliveries, provider statuses and events created, per hour, plus pending', async () => {
    const op = operatorSetup({ scg_response_event_READ: undefined })
    const sent = await op.send('ok')
    await op.send('ok')
    await op.send('queued')
    await op.scg('scg-status-delivered', (e) => {
      e.event['fld-val-list'].message_request_id = sent.messageId
    })
    await op.scg('scg-status-read')
    await ci360Fake.script(op.t.ci360Key, [{ status: 503, body: 'down' }])
    await op.scg('scg-status-failed')

    const res = await op.admin('/stats')
    expect(res.status).toBe(200)
    const stats = await json(res)
    expect(stats.status).toBe('OK')
    expect(stats.buckets).toHaveLength(24)
    const hour = 3_600_000
    expect(Date.parse(stats.buckets[23].at)).toBe(Math.ceil((Date.now() + 1) / hour) * hour - hour)
    expect(sum(stats.buckets.map((b: any) => b.deliveries))).toEqual({ sent: 2, queued: 1 })
    expect(sum(stats.buckets.map((b: any) => b.provider_statuses))).toEqual({ DELIVERED: 1 })
    expect(sum(stats.buckets.map((b: any) => b.events))).toEqual({ injected: 1, ignored: 1, queued: 1 })
    expect(stats.pending).toEqual({ failed_requests: 2, uncertain: 0 })

    const days = await json(await op.admin('/stats?bucket=day'))
    expect(days.buckets).toHaveLength(30)
    expect(sum(days.buckets.map((b: any) => b.deliveries))).toEqual({ sent: 2, queued: 1 })
    const before = await json(await op.admin('/stats?from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z'))
    expect(before.buckets).toHaveLength(24)
    expect(sum(before.buckets.map((b: any) => b.events))).toEqual({})
    const theirs = await json(await op.admin('/stats', {}, op.other.adminKey, op.other))
    expect(sum(theirs.buckets.map((b: any) => b.deliveries))).toEqual({})
    expect(theirs.pending).toEqual({ failed_requests: 0, uncertain: 0 })
  })

  const bad: [string, string][] = [
    ['bucket=week', 'bucket'],
    ['from=soon', 'from'],
    ['from=2026-01-01T00:00:00Z&to=2026-01-01T00:00:00Z', 'to'],
    ['from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z', 'from'],
  ]
  for (const [query, param] of bad) {
    it(`GET /stats?${query} → 400 naming ${param}`, async () => {
      const res = await operatorSetup().admin(`/stats?${query}`)
      expect(res.status).toBe(400)
      expect((await json(res)).error).toMatchObject({ code: 'VALIDATION_FAILED', fields: [param] })
    })
  }
})

describe('operator API: query plans', () => {
  it('every list, search and stats query is an index search, never a full table scan', async () => {
    const op = operatorSetup()
    const seen: { sql: string; params: unknown[] }[] = []
    // Record the SQL the routes run, then ask SQLite how it would run each one.
    const spy = new Proxy(env.DB, {
      get(target, prop) {
        if (prop === 'prepare') {
          return (sql: string) => {
            const statement = target.prepare(sql)
            return new Proxy(statement, {
              get(s, p) {
                if (p === 'bind')
                  return (...params: unknown[]) => {
                    seen.push({ sql, params })
                    return s.bind(...params)
                  }
                const v = Reflect.get(s, p)
                return typeof v === 'function' ? v.bind(s) : v
              },
            })
          }
        }
        const v = Reflect.get(target, prop)
        return typeof v === 'function' ? v.bind(target) : v
      },
    })
    const { appWith } = await import('../support/app')
    const { app } = appWith(op.env(), { db: spy as D1Database })
    const queries = [
      '/events',
      '/events?state=ignored',
      '/events?source=scg&type=message_state_change&from=2026-01-01T00:00:00Z&to=2027-01-01T00:00:00Z',
      '/events?q=abc',
      '/messages',
      '/messages?state=queued',
      '/messages?q=abc&provider=scg',
      `/messages?cursor=${btoa('m1:1:g').replace(/=+$/, '')}`,
      '/stats',
    ]
    for (const q of queries) {
      const res = await app.request(`https://connector.example.com/v1/tenants/${op.t.id}${q}`, {
        headers: { 'x-api-key': op.t.adminKey },
      })
      expect(res.status, q).toBe(200)
    }
    const plans: string[] = []
    for (const { sql, params } of seen.filter((s) => /^\s*SELECT/i.test(s.sql))) {
      const details = (await rows.queryPlan(sql, params)).map((r) => r.detail)
      plans.push(...details)
      for (const d of details)
        expect(d, sql).not.toMatch(/^SCAN (inbound_events|deliveries|failed_requests)\b(?! USING)/)
    }
    expect(plans.some((d) => d.includes('inbound_events_by_tenant_state'))).toBe(true)
    expect(plans.some((d) => d.includes('inbound_events_by_key'))).toBe(true)
    expect(plans.some((d) => d.includes('inbound_events_by_message'))).toBe(true)
    expect(plans.some((d) => d.includes('deliveries_by_tenant_message'))).toBe(true)
    expect(plans.some((d) => d.includes('deliveries_by_tenant_external'))).toBe(true)
    expect(plans.some((d) => d.includes('deliveries USING INTEGER PRIMARY KEY (rowid=?)'))).toBe(true)
    expect(plans.some((d) => d.includes('deliveries_by_tenant_created'))).toBe(true)
  })
})
