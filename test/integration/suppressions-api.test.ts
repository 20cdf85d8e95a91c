import { env } from 'cloudflare:workers'
import { beforeEach, describe, expect, it } from 'vitest'
import { failingBatchD1 } from '../support/broken'
import { FIXTURE_TENANT, OTHER_TENANT } from '../support/constants'
import { createHarness, type HarnessOptions } from '../support/harness'
import { json, type TestTenant, testTenant } from '../support/worker'

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/
const A = '+15550001001'
const B = '+15550001002'
const C = '+447700900123'

beforeEach(async () => {
  await env.DB.batch([
    env.DB.prepare('DELETE FROM suppressions'),
    env.DB.prepare('DELETE FROM suppression_changes'),
  ])
})

async function sha256Prefix(key: string) {
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(key)))
  return [...d.slice(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join('')
}

function setup(o: HarnessOptions = {}) {
  const t = testTenant(FIXTURE_TENANT)
  const other = testTenant(OTHER_TENANT)
  const h = createHarness([t, other], { via: 'app', ...o })
  const admin = (who: TestTenant, path: string, init: { method?: string; body?: unknown } = {}) =>
    h.post.admin(who, `/suppressions${path}`, init)
  const put = (who: TestTenant, address: string, body?: unknown) =>
    admin(who, `/${encodeURIComponent(address)}`, {
      method: 'PUT',
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
  /** A raw import: bytes or text, with a content type (text/csv unless given). */
  const importRaw = (who: TestTenant, body: string | Uint8Array, type = 'text/csv', key = who.adminKey) =>
    h.app.request(`https://connector.example.com/v1/tenants/${who.id}/suppressions/import`, {
      method: 'POST',
      headers: { 'x-api-key': key, 'content-type': type },
      body,
    })
  const list = async (who: TestTenant, q = '') => json(await admin(who, q))
  const changes = async (who: TestTenant) => (await json(await admin(who, '/changes'))).items
  return { t, other, h, admin, put, importRaw, list, changes }
}

describe('operator API: the opt-out list', () => {
  it('PUT adds a number (source operator), answers the entry, and a second PUT says created false', async () => {
    const s = setup()
    const first = await s.put(s.t, A, { reason: 'asked by phone' })
    expect(first.status).toBe(200)
    const body = await json(first)
    expect(body).toEqual({
      status: 'OK',
      created: true,
      item: {
        address: A,
        channel: 'sms',
        sender: null,
        source: 'operator',
        keyword: null,
        created_at: expect.stringMatching(ISO),
      },
    })
    s.h.clock.advance(1000)
    const again = await json(await s.put(s.t, A))
    expect(again).toEqual({ status: 'OK', created: false, item: body.item })

    s.h.clock.advance(1000)
    expect((await s.put(s.t, A, { channel: 'whatsapp', sender: 'channel:Brand' })).status).toBe(200)
    const listed = await s.list(s.t)
    expect(listed).toEqual({
      status: 'OK',
      next_cursor: null,
      items: [
        {
          address: A,
          channel: 'whatsapp',
          sender: 'channel:Brand',
          source: 'operator',
          keyword: null,
          created_at: expect.stringMatching(ISO),
        },
        body.item,
      ],
    })
  })

  it('refuses an address that is not E.164 and bad bodies with 400 VALIDATION_FAILED naming the field', async () => {
    const s = setup()
    for (const bad of ['15550001001', '+0155500', 'abc', '+1555000100199999']) {
      const res = await s.put(s.t, bad)
      expect(res.status).toBe(400)
      const b = await json(res)
      expect(b.error.code).toBe('VALIDATION_FAILED')
      expect(b.error.fields).toEqual(['address'])
    }
    const del = await s.admin(s.t, '/5550001001', { method: 'DELETE' })
    expect(del.status).toBe(400)
    expect((await json(del)).error.fields).toEqual(['address'])
    const channel = await s.put(s.t, A, { channel: 'pigeon' })
    expect(channel.status).toBe(400)
    expect((await json(channel)).error.fields).toEqual(['channel'])
    const extra = await s.put(s.t, A, { channel: 'sms', source: 'keyword' })
    expect(extra.status).toBe(400)
    const notJson = await s.admin(s.t, `/${encodeURIComponent(A)}`, { method: 'PUT', body: '{nope' })
    expect((await json(notJson)).error.code).toBe('INVALID_JSON')
    expect(await s.list(s.t)).toMatchObject({ items: [] })
    expect((await s.admin(s.t, '?address=5550001001')).status).toBe(400)
    for (const [q, field] of [
      ['?source=robot', 'source'],
      ['?limit=0', 'limit'],
      ['?limit=101', 'limit'],
      ['?cursor=bm9wZQ', 'cursor'],
    ]) {
      const res = await s.admin(s.t, q as string)
      expect(res.status).toBe(400)
      expect((await json(res)).error.fields).toEqual([field])
    }
  })

  it('answers 401 for a wrong key, an unknown tenant, a CI360 key and another tenant’s admin key', async () => {
    const s = setup()
    await s.put(s.t, A)
    const path = `/v1/tenants/${s.t.id}/suppressions`
    for (const key of ['wrong', s.t.apiKey, s.other.adminKey]) {
      for (const [method, p] of [
        ['GET', path],
        ['GET', `${path}/export`],
        ['PUT', `${path}/%2B15550001002`],
        ['DELETE', `${path}/${encodeURIComponent(A)}`],
      ]) {
        const res = await s.h.request(p as string, {
          method: method as string,
          headers: { 'x-api-key': key },
        })
        expect(res.status).toBe(401)
        expect((await json(res)).error.code).toBe('UNAUTHORIZED')
      }
      expect((await s.importRaw(s.t, `${B}\n`, 'text/csv', key)).status).toBe(401)
    }
    const unknown = await s.h.request('/v1/tenants/no-such-tenant/suppressions', {
      headers: { 'x-api-key': s.t.adminKey },
    })
    expect(unknown.status).toBe(401)
    expect((await s.list(s.t)).items.map((i: any) => i.address)).toEqual([A])
  })

  it('keeps tenants apart: one never sees, adds to or removes the other’s entries', async () => {
    const s = setup()
    await s.put(s.t, A)
    await s.put(s.other, B)
    expect((await s.list(s.t)).items.map((i: any) => i.address)).toEqual([A])
    expect((await s.list(s.other)).items.map((i: any) => i.address)).toEqual([B])
    expect((await s.list(s.other, `?address=${encodeURIComponent(A)}`)).items).toEqual([])
    expect((await s.admin(s.other, `/${encodeURIComponent(A)}`, { method: 'DELETE' })).status).toBe(404)
    expect((await s.list(s.t)).items).toHaveLength(1)
    await s.importRaw(s.other, `${A}\n`)
    expect((await s.list(s.t)).items.map((i: any) => i.source)).toEqual(['operator'])
    const exported = await (await s.admin(s.other, '/export')).text()
    expect(exported).toContain(A)
    expect(exported).toContain(B)
    expect(await (await s.admin(s.t, '/export')).text()).not.toContain(B)
    expect((await s.changes(s.t)).map((c: any) => c.address)).toEqual([A])
  })

  it('DELETE removes every entry of the number whatever its source, or only ?channel=; 404 when absent', async () => {
    const s = setup()
    const store = s.h.deps.stores.suppressions
    await store.add(s.t.id, { address: A, channel: 'sms', source: 'keyword', keyword: 'STOP' }, 'keyword', 1)
    await store.add(
      s.t.id,
      { address: A, channel: 'sms', sender: '+18885550199', source: 'provider' },
      'provider',
      2,
    )
    await s.put(s.t, A, { channel: 'whatsapp' })
    await s.put(s.t, B)

    const narrow = await s.admin(s.t, `/${encodeURIComponent(A)}?channel=whatsapp`, { method: 'DELETE' })
    expect(narrow.status).toBe(200)
    expect((await json(narrow)).items.map((i: any) => i.channel)).toEqual(['whatsapp'])
    const all = await s.admin(s.t, `/${encodeURIComponent(A)}`, { method: 'DELETE' })
    expect(all.status).toBe(200)
    expect((await json(all)).items.map((i: any) => [i.source, i.sender]).sort()).toEqual([
      ['keyword', null],
      ['provider', '+18885550199'],
    ])
    expect((await s.list(s.t)).items.map((i: any) => i.address)).toEqual([B])

    const absent = await s.admin(s.t, `/${encodeURIComponent(A)}`, { method: 'DELETE' })
    expect(absent.status).toBe(404)
    expect((await json(absent)).error.code).toBe('NOT_FOUND')
    expect((await s.admin(s.t, `/${encodeURIComponent(C)}`, { method: 'DELETE' })).status).toBe(404)
  })

  it('an operator’s PUT or an import holds a number a keyword or a provider listed, so START cannot lift it', async () => {
    const s = setup()
    const store = s.h.deps.stores.suppressions
    await store.add(
      s.t.id,
      { address: A, channel: 'sms', source: 'keyword', keyword: 'STOP', evidence: 'SM1' },
      'keyword',
      5,
    )
    await store.add(
      s.t.id,
      { address: B, channel: 'sms', source: 'provider', keyword: '21610' },
      'provider',
      6,
    )
    const put = await json(await s.put(s.t, A, { reason: 'complaint' }))
    expect(put).toEqual({
      status: 'OK',
      created: false,
      item: {
        address: A,
        channel: 'sms',
        sender: null,
        source: 'operator',
        keyword: 'STOP',
        created_at: new Date(5).toISOString(),
      },
    })
    expect(await json(await s.importRaw(s.t, `${B}\n${C}\n`))).toEqual({
      status: 'OK',
      added: 1,
      already: 1,
      rejected: [],
    })
    // What an opt-in keyword does: remove the liftable entries only.
    for (const address of [A, B]) {
      expect(await store.remove(s.t.id, address, 'keyword', 7, { sources: ['keyword', 'provider'] })).toEqual(
        [],
      )
    }
    const sources = (await s.list(s.t)).items.map((i: any) => `${i.address}/${i.source}`).sort()
    expect(sources).toEqual([`${A}/operator`, `${B}/import`, `${C}/import`].sort())
    const actions = (await s.changes(s.t)).map((c: any) => `${c.action}/${c.address}/${c.source}`)
    expect(actions).toEqual([
      `add/${C}/import`,
      `add/${B}/import`,
      `add/${A}/operator`,
      `add/${B}/provider`,
      `add/${A}/keyword`,
    ])
  })

  it('audits every change with the admin key’s digest prefix, never the key', async () => {
    const s = setup()
    await s.put(s.t, A, { reason: 'complaint' })
    await s.importRaw(s.t, `${B}\n`)
    await s.admin(s.t, `/${encodeURIComponent(A)}`, { method: 'DELETE' })
    const actor = `key:${await sha256Prefix(s.t.adminKey)}`
    const items = await s.changes(s.t)
    expect(items.map((c: any) => [c.action, c.address, c.source, c.actor])).toEqual([
      ['remove', A, 'operator', actor],
      ['add', B, 'import', actor],
      ['add', A, 'operator', actor],
    ])
    expect(items[2].detail).toBe('complaint')
    expect(items[0].at).toMatch(ISO)
    const stored = await env.DB.prepare('SELECT actor FROM suppression_changes').all<{ actor: string }>()
    for (const r of stored.results) {
      expect(r.actor).toMatch(/^key:[0-9a-f]{8}$/)
      expect(r.actor).not.toContain(s.t.adminKey)
    }
    expect((await json(await s.admin(s.t, `/changes?address=${encodeURIComponent(B)}`))).items).toHaveLength(
      1,
    )
  })
})

describe('operator API: CSV import and export', () => {
  it('adds the valid lines, lists bad ones by their line number (header counted, CRLF) and counts what was listed', async () => {
    const s = setup()
    await s.put(s.t, A)
    const csv = [
      'address,channel,reason',
      `${A},sms,already there`,
      '5550001003,sms,no plus',
      `${B},sms,"moved, said stop"`,
      '',
      `${C},fax`,
      `"+15550001004",whatsapp`,
      `${B}`,
      '+15550001005,sms,"open quote',
      '+15550001006,sms,a,b',
      `'+15550001007`,
    ].join('\r\n')
    const res = await s.importRaw(s.t, csv)
    expect(res.status).toBe(200)
    expect(await json(res)).toEqual({
      status: 'OK',
      added: 3,
      already: 2,
      rejected: [
        { line: 3, reason: 'address must be an E.164 number (+ and 6 to 15 digits)' },
        { line: 6, reason: 'channel must be one of sms, whatsapp' },
        { line: 9, reason: 'a quoted field is not closed on its line' },
        { line: 10, reason: 'too many fields (at most 3)' },
      ],
    })
    const items = (await s.list(s.t)).items
    expect(items.map((i: any) => `${i.address}/${i.channel}/${i.source}`).sort()).toEqual([
      `${A}/sms/operator`,
      `${B}/sms/import`,
      '+15550001004/whatsapp/import',
      '+15550001007/sms/import',
    ])
  })

  it('reads a file without a header from line 1', async () => {
    const s = setup()
    const res = await s.importRaw(s.t, `${A}\nnot-a-number\n${B},whatsapp,x\n`)
    expect(await json(res)).toEqual({
      status: 'OK',
      added: 2,
      already: 0,
      rejected: [{ line: 2, reason: 'address must be an E.164 number (+ and 6 to 15 digits)' }],
    })
  })

  it('refuses a body that is not CSV text (NUL bytes, not UTF-8, not text/csv) with 400 and one over 256 KiB with 413', async () => {
    const s = setup()
    const nul = await s.importRaw(s.t, new Uint8Array([0x2b, 0x31, 0x00, 0x32, 0x0a]))
    expect(nul.status).toBe(400)
    expect((await json(nul)).error.code).toBe('VALIDATION_FAILED')
    expect((await s.importRaw(s.t, new Uint8Array([0x2b, 0x31, 0xff, 0xfe, 0x0a]))).status).toBe(400)
    const pdf = await s.importRaw(s.t, `${A}\n`, 'application/pdf')
    expect(pdf.status).toBe(400)
    expect((await json(pdf)).error.fields).toEqual(['content-type'])
    const big = await s.importRaw(s.t, `${A}\n`.repeat(21_000))
    expect(big.status).toBe(413)
    expect((await json(big)).error.code).toBe('BODY_TOO_LARGE')
    expect((await s.list(s.t)).items).toEqual([])
  })

  it('writes nothing when storage fails during the import: 503 STORAGE_UNAVAILABLE', async () => {
    const s = setup({ runtime: { db: failingBatchD1() } })
    const res = await s.importRaw(s.t, `${A}\n${B}\n${C},whatsapp\n`)
    expect(res.status).toBe(503)
    expect((await json(res)).error.code).toBe('STORAGE_UNAVAILABLE')
    const n = await env.DB.prepare(
      'SELECT (SELECT COUNT(*) FROM suppressions) + (SELECT COUNT(*) FROM suppression_changes) AS n',
    ).first<{ n: number }>()
    expect(n?.n).toBe(0)
  })

  it('exports every entry as CSV (paged through the store), guards formulas, and the export imports back', async () => {
    const s = setup()
    const many = Array.from({ length: 1203 }, (_, i) => `+1555100${String(i).padStart(4, '0')}`)
    expect(await json(await s.importRaw(s.t, `${many.join('\n')}\n`))).toMatchObject({ added: 1203 })
    s.h.clock.advance(1000)
    await s.put(s.t, A, { sender: '=HYPERLINK("http://x"),y' })
    await s.put(s.t, B, { sender: '+18885550199', channel: 'whatsapp' })

    const res = await s.admin(s.t, '/export')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/)
    const text = await res.text()
    const lines = text.split('\r\n')
    expect(lines[0]).toBe('address,channel,sender,source,keyword,created_at')
    expect(lines).toHaveLength(1 + 1205 + 1)
    expect(lines.at(-1)).toBe('')
    expect(new Set(lines.slice(1, -1)).size).toBe(1205)
    expect(lines[1]).toMatch(/^\+15550001002,whatsapp,\+18885550199,operator,,\d{4}-.*Z$/)
    expect(lines[2]).toMatch(/^\+15550001001,sms,"'=HYPERLINK\(""http:\/\/x""\),y",operator,,/)

    const back = await s.importRaw(s.other, text)
    expect(await json(back)).toEqual({ status: 'OK', added: 1205, already: 0, rejected: [] })
    const theirs = (await s.list(s.other, `?address=${encodeURIComponent(A)}`)).items
    expect(theirs).toMatchObject([
      { address: A, channel: 'sms', sender: '=HYPERLINK("http://x"),y', source: 'import' },
    ])
  })

  it('pages the list with next_cursor without losing rows that share a time', async () => {
    const s = setup()
    const numbers = ['+15552000001', '+15552000002', '+15552000003']
    await s.importRaw(s.t, numbers.flatMap((n) => [`${n},sms`, `${n},whatsapp`]).join('\n'))
    const seen: string[] = []
    let cursor: string | null = ''
    while (cursor !== null) {
      const page: any = await s.list(s.t, `?limit=4${cursor ? `&cursor=${cursor}` : ''}`)
      seen.push(...page.items.map((i: any) => `${i.address}/${i.channel}`))
      cursor = page.next_cursor
    }
    expect(seen).toHaveLength(6)
    expect(new Set(seen).size).toBe(6)
    const bySource = await s.list(s.t, '?source=operator')
    expect(bySource.items).toEqual([])
  })
})
