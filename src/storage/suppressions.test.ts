import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { createSuppressionStore } from './suppressions'

const store = createSuppressionStore(env.DB)
let n = 0
/** Each test its own tenant: storage is shared by the tests of one file. */
const tenant = () => `sup-store-${++n}-${Math.random().toString(36).slice(2, 8)}`

describe('suppression store', () => {
  it('adds an entry once, audits it once, and finds it for any sender when tenant-wide', async () => {
    const t = tenant()
    const entry = { address: '+14155550100', channel: 'sms', source: 'keyword', keyword: 'STOP' } as const
    expect(await store.add(t, entry, 'keyword', 1000)).toBe(true)
    expect(await store.add(t, entry, 'keyword', 2000)).toBe(false)
    const hit = await store.blocking(t, '+14155550100', 'sms', '+18005550000')
    expect(hit).toMatchObject({
      address: '+14155550100',
      source: 'keyword',
      keyword: 'STOP',
      created_at: 1000,
    })
    expect(await store.blocking(t, '+14155550100', 'whatsapp', undefined)).toBeNull()
    const changes = await store.changes(t, 10)
    expect(changes.map((c) => [c.action, c.actor])).toEqual([['add', 'keyword']])
  })

  it('a sender-scoped entry blocks only that sender', async () => {
    const t = tenant()
    await store.add(
      t,
      { address: '+14155550101', channel: 'sms', source: 'keyword', sender: 'channel:A' },
      'keyword',
      1,
    )
    expect(await store.blocking(t, '+14155550101', 'sms', 'channel:A')).not.toBeNull()
    expect(await store.blocking(t, '+14155550101', 'sms', 'channel:B')).toBeNull()
  })

  it('tenants never see each other’s entries', async () => {
    const a = tenant()
    const b = tenant()
    await store.add(a, { address: '+14155550102', channel: 'sms', source: 'operator' }, 'key:abcd', 1)
    expect(await store.blocking(b, '+14155550102', 'sms', undefined)).toBeNull()
    expect(await store.list(b, { limit: 10 })).toEqual([])
    expect(await store.remove(b, '+14155550102', 'key:ef01', 2)).toEqual([])
    expect(await store.blocking(a, '+14155550102', 'sms', undefined)).not.toBeNull()
  })

  it('remove narrowed to keyword/provider sources leaves an operator entry in place', async () => {
    const t = tenant()
    await store.add(t, { address: '+14155550103', channel: 'sms', source: 'operator' }, 'key:abcd', 1)
    const removed = await store.remove(t, '+14155550103', 'keyword', 2, { sources: ['keyword', 'provider'] })
    expect(removed).toEqual([])
    expect(await store.blocking(t, '+14155550103', 'sms', undefined)).not.toBeNull()
    const gone = await store.remove(t, '+14155550103', 'key:abcd', 3)
    expect(gone.map((r) => r.source)).toEqual(['operator'])
    expect((await store.changes(t, 10)).map((c) => c.action)).toEqual(['remove', 'add'])
  })

  it('addMany counts new entries, and the upload queue hands out changes once', async () => {
    const t = tenant()
    await store.add(t, { address: '+14155550104', channel: 'sms', source: 'operator' }, 'key:abcd', 1)
    const added = await store.addMany(
      t,
      [
        { address: '+14155550104', channel: 'sms', source: 'import' },
        { address: '+14155550105', channel: 'sms', source: 'import' },
      ],
      'key:abcd',
      2,
    )
    expect(added).toBe(1)
    const pending = await store.pendingUpload(t, 10)
    expect(pending.map((c) => c.address)).toEqual(['+14155550104', '+14155550105'])
    await store.markUploaded(t, pending.at(-1)?.id ?? 0, 3)
    expect(await store.pendingUpload(t, 10)).toEqual([])
  })
})
