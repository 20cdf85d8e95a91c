import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { FIXTURE_TENANT } from '../test/support/constants'
import { startBenchWorker } from './miniflare'
import { API_KEY, LOG_LEVEL, tenantSecret } from './routes'

/**
 * One tenant over 1, 2, 4 and 8 databases (docs/scaling.md, "Shards"): the D1 model of `scaling.ts`
 * (each in-memory database runs one query at a time, `queryMs` each), the 64 logical shards split evenly.
 * Each connection sends a message, then posts SCG's DELIVERED receipt for it (with the external id SCG
 * echoes), and again: messages/s counts pairs that both answered 200. Then, on the rows the load left,
 * the console's message search and stats, one request at a time.
 */

const ci360 = (name: string) => JSON.parse(readFileSync(`test/fixtures/ci360/${name}`, 'utf8'))
const WEBHOOK_BASIC = `Basic ${Buffer.from('bench-em:bench-password').toString('base64')}`
const ADMIN_KEY = 'bench-admin-key'

export interface ShardRun {
  databases: number
  /** Logical shards on `DB` when not an even split (it also serves every send's opt-out read). */
  homeShards?: number
  connections: number
  messagesPerSecond: number
  p50Ms: number
  p99Ms: number
  failed: number
  /** The model's ceiling for this map: the busiest database's queries per message bound the rate. */
  ceiling: number
  /** The ceiling if every database carried an equal share: databases × 1000 / queryMs / queries per message. */
  evenCeiling: number
  /** Queries per message on each database during the run. */
  perDatabase: number[]
  searchMs: number
  statsMs: number
}

export interface ShardResult {
  queryMs: number
  queriesPerMessage: number
  runs: ShardRun[]
}

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0

async function median(n: number, call: () => Promise<Response>): Promise<number> {
  const times: number[] = []
  for (let i = 0; i < n; i++) {
    const t0 = performance.now()
    const res = await call()
    await res.text()
    if (!res.ok) throw new Error(`console call: HTTP ${res.status}`)
    times.push(performance.now() - t0)
  }
  return (
    Math.round(
      pct(
        times.sort((a, b) => a - b),
        0.5,
      ) * 10,
    ) / 10
  )
}

export async function benchShards(
  providers: Record<string, string>,
  options: {
    seconds: number
    queryMs: number
    perDatabaseConnections: number
    runs?: { databases: number; homeShards?: number }[]
  },
): Promise<ShardResult> {
  const vars = {
    log_level: LOG_LEVEL,
    [`TENANT_${FIXTURE_TENANT}`]: tenantSecret(providers, { admin_api_keys: [ADMIN_KEY] }),
  }
  const event = ci360('outbound-sms-oneline.json')
  const dlr = ci360('scg-status-delivered.json')
  const runs: ShardRun[] = []
  // Queries per message, from the model's own count: one send and one receipt, probed.
  let queriesPerMessage = 0
  const plan = options.runs ?? [
    { databases: 1 },
    { databases: 2 },
    { databases: 4 },
    { databases: 8 },
    { databases: 8, homeShards: 1 },
  ]
  for (const { databases, homeShards } of plan) {
    const worker = await startBenchWorker({
      storage: 'memory',
      vars,
      queryMs: options.queryMs,
      shards: databases,
      ...(homeShards === undefined ? {} : { shardHome: homeShards }),
    })
    const booked = async () => (await (await fetch(`${worker.url}/__bench/queries`)).json()) as number[]
    try {
      const post = (path: string, body: string, headers: Record<string, string>) =>
        fetch(`${worker.url}${path}`, { method: 'POST', body, headers })
      const message = async (): Promise<{ ok: boolean; ms: number[] }> => {
        const guid = randomUUID()
        event.guid = guid
        event.externalTenantId = FIXTURE_TENANT
        event.date.generatedTimestamp = Date.now()
        const t0 = performance.now()
        const sent = await post(`/v1/tenants/${FIXTURE_TENANT}/scg/messages`, JSON.stringify(event), {
          'x-api-key': API_KEY,
          'content-type': 'text/plain;charset=UTF-8',
        })
        const reply = (await sent.json().catch(() => ({}))) as { message_id?: string }
        const t1 = performance.now()
        if (!sent.ok || !reply.message_id) return { ok: false, ms: [t1 - t0] }
        const fields = dlr.event['fld-val-list']
        dlr['event-id'] = randomUUID().replaceAll('-', '').slice(0, 22)
        fields.message_request_id = reply.message_id
        fields.external_message_request_id = `${event.identityId}|${event.properties?.externalCode ?? ''}|${FIXTURE_TENANT}|${guid}`
        dlr.event.timestamp = new Date().toISOString()
        const receipt = await post(`/v1/webhooks/scg/${FIXTURE_TENANT}`, JSON.stringify(dlr), {
          authorization: WEBHOOK_BASIC,
          'content-type': 'application/json; charset=UTF-8',
        })
        await receipt.text()
        return { ok: receipt.ok, ms: [t1 - t0, performance.now() - t1] }
      }
      for (let i = 0; i < 20; i++) await message() // warm-up
      if (queriesPerMessage === 0) {
        const sum = async () => (await booked()).reduce((a, b) => a + b, 0)
        const before = await sum()
        for (let i = 0; i < 10; i++) await message()
        await new Promise((r) => setTimeout(r, 300))
        queriesPerMessage = ((await sum()) - before) / 10
      }
      const bookedBefore = await booked()
      const connections = options.perDatabaseConnections * databases
      const latencies: number[] = []
      let done = 0
      let failed = 0
      const until = Date.now() + options.seconds * 1000
      const started = Date.now()
      await Promise.all(
        Array.from({ length: connections }, async () => {
          while (Date.now() < until) {
            const r = await message().catch(() => ({ ok: false, ms: [] as number[] }))
            latencies.push(...r.ms)
            if (r.ok) done++
            else failed++
          }
        }),
      )
      const elapsed = (Date.now() - started) / 1000
      await new Promise((r) => setTimeout(r, 300))
      const load = (await booked()).map((n, i) => n - (bookedBefore[i] ?? 0))
      const perDatabase = load.map((n) => Math.round((n / Math.max(1, done)) * 100) / 100)
      const perSecond = 1000 / options.queryMs
      latencies.sort((a, b) => a - b)
      const admin = (path: string) =>
        fetch(`${worker.url}/v1/tenants/${FIXTURE_TENANT}${path}`, { headers: { 'x-api-key': ADMIN_KEY } })
      runs.push({
        databases,
        ...(homeShards === undefined ? {} : { homeShards }),
        connections,
        messagesPerSecond: Math.round(done / elapsed),
        p50Ms: Math.round(pct(latencies, 0.5)),
        p99Ms: Math.round(pct(latencies, 0.99)),
        failed,
        ceiling: Math.round(perSecond / Math.max(...perDatabase)),
        evenCeiling: Math.round((databases * perSecond) / Math.max(1, queriesPerMessage)),
        perDatabase,
        searchMs: await median(15, () => admin('/messages?limit=50')),
        statsMs: await median(15, () => admin('/stats')),
      })
    } finally {
      await worker.stop()
    }
  }
  return { queryMs: options.queryMs, queriesPerMessage, runs }
}

export function printShards(r: ShardResult): void {
  console.log(
    `\nShards (LOCAL SIMULATION: one tenant, send + SCG receipt per message, ${r.queryMs} ms per query, ${r.queriesPerMessage} queries per message)`,
  )
  const one = r.runs.find((x) => x.databases === 1)?.messagesPerSecond ?? 0
  console.log(
    '  databases (map)    msg/s  ceiling  even ceiling  ×1-db  p50 ms  p99 ms  failed  search ms  stats ms  queries/msg per database',
  )
  for (const x of r.runs) {
    const ratio = one ? (x.messagesPerSecond / one).toFixed(2) : '-'
    const label = `${x.databases} (${x.homeShards === undefined ? 'even' : `DB ${x.homeShards}/64`})`
    console.log(
      `  ${label.padEnd(17)}  ${String(x.messagesPerSecond).padStart(5)}  ${String(x.ceiling).padStart(7)}  ${String(x.evenCeiling).padStart(12)}  ${ratio.padStart(5)}  ${String(x.p50Ms).padStart(6)}  ${String(x.p99Ms).padStart(6)}  ${String(x.failed).padStart(6)}  ${String(x.searchMs).padStart(9)}  ${String(x.statsMs).padStart(8)}  ${x.perDatabase.join(' ')}`,
    )
  }
}
