import { env } from 'cloudflare:workers'
import { beforeEach, describe, expect, it } from 'vitest'
import { parseShardMap } from '../../src/config/shards'
import { depsFor, withShard } from '../../src/deps'
import { claimLeaseMs } from '../../src/outbound/pipeline'
import { fnv1a32, logicalShardOf } from '../../src/storage/shards'
import { scgEnvelope } from '../support/event-manager'
import { scgFake } from '../support/fake-control'
import { outboundEvent } from '../support/fixtures'
import { createHarness } from '../support/harness'
import { webhookTenant } from '../support/scg-webhook'
import { postTwilioWebhook, sendThroughTwilio, statusParams, twilioTenant } from '../support/twilio'
import { call, envWith, json, type TestTenant, testTenant } from '../support/worker'

/** Four databases, 16 logical shards each (docs/scaling.md, "Shards"). */
const NAMES = ['DB', 'DB_2', 'DB_3', 'DB_4'] as const
type Name = (typeof NAMES)[number]
const dbs = env as unknown as Record<Name, D1Database>
const MAP: Record<Name, string> = { DB: '0-15', DB_2: '16-31', DB_3: '32-47', DB_4: '48-63' }
const bindingOf = (guid: string): Name => NAMES[Math.floor(logicalShardOf(guid) / 16)] as Name
const shardVars = (map: Record<string, string> = MAP) => ({
  d1_shard_map: JSON.stringify(map),
  DB_2: dbs.DB_2,
  DB_3: dbs.DB_3,
  DB_4: dbs.DB_4,
})
const unavailable = { status: 503, body: { error_code: 'SCG_ERROR_5030', error_description: 'busy' } }

beforeEach(async () => {
  for (const name of NAMES) {
    const db = dbs[name]
    await db.batch(
      ['failed_requests', 'deliveries', 'webhook_events', 'inbound_events', 'shard_owner'].map((t) =>
        db.prepare(`DELETE FROM ${t}`),
      ),
    )
  }
  // Every database but the home one owns only what its shard_owner lists (migration 0015).
  for (const [i, name] of NAMES.entries()) {
    if (name === 'DB') continue
    const shards = Array.from({ length: 16 }, (_, k) => i * 16 + k)
    await dbs[name].batch(
      shards.map((s) => dbs[name].prepare('INSERT INTO shard_owner (logical) VALUES (?)').bind(s)),
    )
  }
})

/** The databases holding a row of `table` whose `column` is `value`. */
async function holders(table: string, column: string, value: string): Promise<Name[]> {
  const found: Name[] = []
  for (const name of NAMES) {
    const row = await dbs[name].prepare(`SELECT 1 AS x FROM ${table} WHERE ${column} = ?`).bind(value).first()
    if (row) found.push(name)
  }
  return found
}

const rowIn = (name: Name, guid: string) =>
  dbs[name].prepare('SELECT * FROM deliveries WHERE guid = ?').bind(guid).first<Record<string, any>>()

function scgSetup(vars: Record<string, unknown> = shardVars()) {
  const t = webhookTenant()
  let testEnv = envWith([t], vars)
  const send = async (event = outboundEvent('outbound-sms')) => {
    const res = await call(testEnv, `/v1/tenants/${t.id}/scg/messages`, {
      body: event,
      headers: { 'x-api-key': t.apiKey },
    })
    return { res, body: await json(res), event, guid: event.guid as string }
  }
  const webhook = (envelope: unknown) =>
    call(testEnv, `/v1/webhooks/scg/${t.id}`, {
      body: envelope,
      headers: {
        authorization: `Basic ${btoa(`${t.webhook.username}:${t.webhook.password}`)}`,
        'content-type': 'application/json',
      },
    })
  const admin = (path: string) =>
    call(testEnv, `/v1/tenants/${t.id}${path}`, { headers: { 'x-api-key': t.adminKey } })
  return { t, send, webhook, admin, remap: (v: Record<string, unknown>) => (testEnv = envWith([t], v)) }
}

describe('shard rule', () => {
  it('FNV-1a 32 over UTF-8, mod 64: fixed values', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5)
    expect(fnv1a32('a')).toBe(0xe40c292c)
    expect(fnv1a32('foobar')).toBe(0xbf9cf968)
    expect(logicalShardOf('a')).toBe(0xe40c292c % 64)
  })

  it('d1_shard_map: unset is all on DB; gaps, overlaps, unknown bindings are refused by name only', () => {
    const has = (n: string) => n === 'DB' || n === 'DB_2'
    const all = parseShardMap(undefined, has)
    expect(all.ok && new Set(all.bindings)).toEqual(new Set(['DB']))
    const two = parseShardMap('{"DB":"0-31","DB_2":"32-63"}', has)
    expect(two.ok && [two.bindings[31], two.bindings[32]]).toEqual(['DB', 'DB_2'])
    for (const bad of [
      '{"DB":"0-30","DB_2":"32-63"}',
      '{"DB":"0-32","DB_2":"32-63"}',
      '{"DB_SECRET":"0-63"}',
      'x',
      '{"DB":"0-64"}',
    ]) {
      const r = parseShardMap(bad, has)
      expect(r.ok).toBe(false)
      if (!r.ok) {
        expect(r.issues.join()).toMatch(/^d1_shard_map: /)
        expect(r.issues.join()).not.toContain('SECRET')
      }
    }
    const composed = depsFor(envWith([], { d1_shard_map: '{"DB":"0-31","DB_9":"32-63"}' }))
    expect(composed.ok).toBe(false)
    if (!composed.ok) expect(composed.issues.join()).toContain('d1_shard_map')
  })
})

describe('shards: four databases', () => {
  it('each send lands in the database of its guid, and only there', async () => {
    const s = scgSetup()
    const used = new Set<Name>()
    for (let i = 0; i < 12; i++) {
      const { body, guid } = await s.send()
      expect(body.status).toBe('OK')
      expect(await holders('deliveries', 'guid', guid)).toEqual([bindingOf(guid)])
      used.add(bindingOf(guid))
    }
    expect(used.size).toBeGreaterThan(1)
  })

  it("an SCG receipt (external id) updates the row in its guid's database, and claims there", async () => {
    const s = scgSetup()
    const { body, guid } = await s.send()
    const sent = await scgFake.requests(s.t.scgToken)
    const externalId = sent.at(-1)?.body.external_id as string
    const res = await s.webhook(
      scgEnvelope('scg-status-delivered', (e) => {
        e.event['fld-val-list'].message_request_id = body.message_id
        e.event['fld-val-list'].external_message_request_id = externalId
      }),
    )
    expect(res.status).toBe(200)
    expect(await rowIn(bindingOf(guid), guid)).toMatchObject({ provider_status: 'DELIVERED' })
    const claims = await Promise.all(
      NAMES.map((n) => dbs[n].prepare('SELECT count(*) AS n FROM webhook_events').first<{ n: number }>()),
    )
    expect(claims.map((c) => c?.n)).toEqual(NAMES.map((n) => (n === bindingOf(guid) ? 1 : 0)))
  })

  it('a Twilio status finds its row through the guid in our callback URL', async () => {
    const t = twilioTenant()
    const testEnv = envWith([t], shardVars())
    const { event, sid } = await sendThroughTwilio(testEnv, t)
    const guid = event.guid as string
    expect(await holders('deliveries', 'guid', guid)).toEqual([bindingOf(guid)])
    const { twilioFake } = await import('../support/fake-control')
    const [sent] = await twilioFake.requests(t.accountSid)
    const url = new URL(sent?.body.StatusCallback[0])
    expect(url.searchParams.get('g')).toBe(guid)
    const res = await postTwilioWebhook(
      testEnv,
      `${url.pathname}${url.search}`,
      statusParams(t, sid, 'delivered'),
      t.authToken,
    )
    expect(res.status).toBe(200)
    expect(await rowIn(bindingOf(guid), guid)).toMatchObject({ provider_status: 'delivered' })
  })

  it('search, stats and the failed-request list read every database, with stable cursors', async () => {
    const s = scgSetup()
    const guids: string[] = []
    const queued: string[] = []
    for (let i = 0; i < 6; i++) guids.push((await s.send()).guid)
    for (let i = 0; i < 3; i++) {
      await scgFake.script(s.t.scgToken, [unavailable])
      const { body, guid } = await s.send()
      expect(body.status).toBe('QUEUED')
      queued.push(guid)
    }
    const every = [...guids, ...queued]
    expect(new Set(every.map(bindingOf)).size).toBeGreaterThan(1)

    const all = (await json(await s.admin('/messages?limit=100'))).items.map((i: any) => i.guid)
    expect([...all].sort()).toEqual([...every].sort())
    const paged: string[] = []
    let cursor: string | null = null
    do {
      const page: Record<string, any> = await json(
        await s.admin(`/messages?limit=2${cursor ? `&cursor=${cursor}` : ''}`),
      )
      paged.push(...page.items.map((i: any) => i.guid))
      cursor = page.next_cursor
    } while (cursor)
    expect(paged).toEqual(all)

    const stats = await json(await s.admin('/stats'))
    const sum: Record<string, number> = {}
    for (const b of stats.buckets)
      for (const [k, n] of Object.entries(b.deliveries as Record<string, number>)) sum[k] = (sum[k] ?? 0) + n
    expect(sum).toEqual({ sent: 6, queued: 3 })
    expect(stats.pending.failed_requests).toBe(3)

    const failed: string[] = []
    cursor = null
    do {
      const page: Record<string, any> = await json(
        await s.admin(`/failed-requests?limit=1${cursor ? `&cursor=${cursor}` : ''}`),
      )
      failed.push(...page.items.map((i: any) => i.guid))
      cursor = page.next_cursor
    } while (cursor)
    expect([...failed].sort()).toEqual([...queued].sort())
  })

  it('the cron retries due rows on every database', async () => {
    const t: TestTenant = webhookTenant()
    const h = createHarness([t], { via: 'app', vars: shardVars() })
    const guids: string[] = []
    await scgFake.script(
      t.scgToken,
      Array.from({ length: 8 }, () => unavailable),
    )
    for (let i = 0; i < 8; i++) {
      const event = outboundEvent('outbound-sms', { now: h.clock.now() })
      expect((await h.post.scg(t, event)).status).toBe(202)
      guids.push(event.guid)
    }
    expect(new Set(guids.map(bindingOf)).size).toBeGreaterThan(1)
    h.clock.advance(3_600_000)
    const report = await h.runCron()
    expect(report).toMatchObject({ attempted: 8, states: { done: 8 }, errors: 0 })
    for (const guid of guids) expect(await rowIn(bindingOf(guid), guid)).toMatchObject({ state: 'sent' })
  })

  it('a map change that moves a shard without its ownership never claims a guid twice (503, no second send)', async () => {
    const s = scgSetup()
    let event = outboundEvent('outbound-sms')
    while (bindingOf(event.guid) !== 'DB_2') event = outboundEvent('outbound-sms')
    const first = await s.send(event)
    expect(first.body.status).toBe('OK')
    expect(await scgFake.requests(s.t.scgToken)).toHaveLength(1)

    // The shard's binding changes to DB_3; its rows and its shard_owner entry stay on DB_2.
    const moved = logicalShardOf(event.guid)
    const others = Array.from({ length: 16 }, (_, k) => 16 + k).filter((x) => x !== moved)
    s.remap(shardVars({ ...MAP, DB_2: others.join(','), DB_3: `32-47,${moved}` }))
    const again = await s.send(event)
    expect(again.res.status).toBe(503)
    expect(await scgFake.requests(s.t.scgToken)).toHaveLength(1)
    expect(await holders('deliveries', 'guid', event.guid)).toEqual(['DB_2'])

    // Its receipt is refused too (the claim's database does not own the shard): redelivered later.
    const sent = await scgFake.requests(s.t.scgToken)
    const res = await s.webhook(
      scgEnvelope('scg-status-delivered', (e) => {
        e.event['fld-val-list'].message_request_id = first.body.message_id
        e.event['fld-val-list'].external_message_request_id = sent.at(-1)?.body.external_id
      }),
    )
    expect(res.status).toBe(503)
    expect(await holders('webhook_events', 'tenant_id', s.t.id)).toEqual([])
  })

  it('the operator event list reads every database, newest first, with a stable cursor', async () => {
    const s = scgSetup()
    const guids: string[] = []
    for (let i = 0; i < 6; i++) {
      const { body, guid } = await s.send()
      const sent = await scgFake.requests(s.t.scgToken)
      const res = await s.webhook(
        scgEnvelope('scg-status-delivered', (e) => {
          e['event-id'] = `ev-${guid}`
          e.event['fld-val-list'].message_request_id = body.message_id
          e.event['fld-val-list'].external_message_request_id = sent.at(-1)?.body.external_id
        }),
      )
      expect(res.status).toBe(200)
      guids.push(guid)
    }
    expect(new Set(guids.map(bindingOf)).size).toBeGreaterThan(1)
    for (const guid of guids)
      expect(await holders('inbound_events', 'event_key', `ev-${guid}`)).toEqual([bindingOf(guid)])
    const all = (await json(await s.admin('/events?limit=100'))).items.map((i: any) => i.id)
    expect(all).toHaveLength(6)
    expect(all).toEqual([...all].sort().reverse())
    const paged: string[] = []
    let cursor: string | null = null
    do {
      const page: Record<string, any> = await json(
        await s.admin(`/events?limit=1${cursor ? `&cursor=${cursor}` : ''}`),
      )
      paged.push(...page.items.map((i: any) => i.id))
      cursor = page.next_cursor
    } while (cursor)
    expect(paged).toEqual(all)
  })

  it('the cron marks stuck sending claims uncertain on every database', async () => {
    const t: TestTenant = webhookTenant()
    const h = createHarness([t], { via: 'app', vars: shardVars() })
    const tenant = h.deps.config.tenant(t.id)
    if (!tenant) throw new Error('tenant missing')
    const guids: string[] = []
    for (let i = 0; i < 6; i++) {
      const event = outboundEvent('outbound-sms', { now: h.clock.now() })
      const claim = await withShard(h.deps, event.guid).stores.deliveries.claim(
        {
          tenantId: t.id,
          guid: event.guid,
          provider: 'scg',
          identityId: event.identityId,
          externalCode: 'TSK',
          recipientMasked: null,
          generatedTimestamp: h.clock.now(),
          state: 'sending',
          now: h.clock.now(),
        },
        claimLeaseMs(tenant),
      )
      expect(claim.claimed).toBe(true)
      guids.push(event.guid)
    }
    expect(new Set(guids.map(bindingOf)).size).toBeGreaterThan(1)
    h.clock.advance(claimLeaseMs(tenant) + 1000)
    expect((await h.runCron()).uncertain).toBe(6)
    for (const guid of guids) expect(await rowIn(bindingOf(guid), guid)).toMatchObject({ state: 'uncertain' })
  })

  it('a Twilio status without the guid in its URL is found by asking every database', async () => {
    const t = twilioTenant()
    const testEnv = envWith([t], shardVars())
    const { event, sid } = await sendThroughTwilio(testEnv, t)
    const guid = event.guid as string
    const res = await postTwilioWebhook(
      testEnv,
      `/v1/webhooks/twilio/${t.id}/status`,
      statusParams(t, sid, 'delivered'),
      t.authToken,
    )
    expect(res.status).toBe(200)
    expect(await rowIn(bindingOf(guid), guid)).toMatchObject({ provider_status: 'delivered' })
    expect(await holders('webhook_events', 'tenant_id', t.id)).toEqual([bindingOf(guid)])
  })

  it('retention purges old rows on every database', async () => {
    const t: TestTenant = webhookTenant()
    const h = createHarness([t], { via: 'app', vars: shardVars() })
    const guids: string[] = []
    for (let i = 0; i < 6; i++) {
      const event = outboundEvent('outbound-sms', { now: h.clock.now() })
      expect((await h.post.scg(t, event)).status).toBe(200)
      guids.push(event.guid)
    }
    expect(new Set(guids.map(bindingOf)).size).toBeGreaterThan(1)
    h.clock.advance(31 * 86_400_000)
    const report = await h.runCron()
    expect(report.purged?.deliveries).toBe(6)
    for (const guid of guids) expect(await holders('deliveries', 'guid', guid)).toEqual([])
  })

  it('queued sends: the consumer takes and records each message in its own database', async () => {
    const t = testTenant(undefined, { send_mode: 'queued' })
    const h = createHarness([t], { via: 'app', vars: shardVars() })
    const sender = `channel:Pace${crypto.randomUUID().replaceAll('-', '').slice(0, 18)}`
    const guids: string[] = []
    for (let i = 0; i < 6; i++) {
      const event = outboundEvent('outbound-sms-oneline', {
        patch: (e) =>
          (e.impression.creativeContent = e.impression.creativeContent.replace(
            'channel:Zx8QpLm2RkWc4sTn7YbVhA',
            sender,
          )),
      })
      expect((await h.post.scg(t, event)).status).toBe(202)
      guids.push(event.guid)
    }
    expect(new Set(guids.map(bindingOf)).size).toBeGreaterThan(1)
    for (const guid of guids) expect(await rowIn(bindingOf(guid), guid)).toMatchObject({ state: 'accepted' })
    await h.drainSends()
    expect(await scgFake.requests(t.scgToken)).toHaveLength(6)
    for (const guid of guids) expect(await rowIn(bindingOf(guid), guid)).toMatchObject({ state: 'sent' })
  })

  it('without d1_shard_map everything stays on DB', async () => {
    const s = scgSetup({})
    for (let i = 0; i < 4; i++) {
      const { guid } = await s.send()
      expect(await holders('deliveries', 'guid', guid)).toEqual(['DB'])
    }
  })
})
