import { randomBytes, randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import os from 'node:os'
import { FIXTURE_TENANT } from '../test/support/constants'
import { startBenchWorker } from './miniflare'
import { API_KEY, LOG_LEVEL, tenantSecret } from './routes'

/**
 * Campaign burst (docs/benchmarks.md, "Campaign burst: sync vs queued"): a campaign's worth of outbound
 * SMS events arrives at once, all from one sender whose pace is 200 segments/s, both at the connector
 * (tenant `senders`) and at the fake SCG (which counts what goes over it, as SCG fails such messages later
 * with reason 1039). The same burst goes to a `send_mode: sync` tenant and to a `send_mode: queued` one,
 * each on its own Miniflare instance with the local D1/KV simulators, the send queue and the pacer's
 * Durable Object. Measured: how fast CI360 gets its answers, what reaches the fake and how fast, what is
 * sent twice or never, and the D1 calls per message.
 */

export type SendMode = 'sync' | 'queued'

export const BURST_MPS = 200

export interface BurstSide {
  mode: SendMode
  events: number
  connections: number
  sender: string
  /** The accept phase: from the first request to the last answer. */
  accept: { seconds: number; rps: number; p50_ms: number; p99_ms: number; max_ms: number }
  /** `<HTTP status> <body status>` → count (`error` for a request that got no answer). */
  statuses: Record<string, number>
  fake: {
    accepted: number
    overRate: number
    segments: number
    firstAt: number | null
    lastAt: number | null
    maxPerSecond: number
    /** accepted / (lastAt − firstAt). */
    ratePerSecond: number
    /** (segments − the bucket's first burst of `mps`) / (lastAt − firstAt): the pace after the burst. */
    steadyPerSecond: number
    /** Distinct guids among the fake's recorded requests. */
    distinctGuids: number
    /** Guids answered 2xx that never reached the fake. */
    missing: number
    /** Sends per whole second since the first request (the fake's `created_date` of each request). */
    perSecond: number[]
    /** Median of the whole seconds that began after the accept phase ended (and before the last second). */
    afterAcceptMedianPerSecond: number
    /** When the sends over the rate reached the fake, in s since the first request (the first 50). */
    overRateAt_s: number[]
  }
  duplicates: number
  /** deliveries.state → rows, after the drain. */
  deliveries: Record<string, number>
  /** Events minus deliveries in state `sent`. */
  lost: number
  drained: boolean
  drain: {
    /** First send to last send at the fake. */
    firstToLastSend_s: number
    /** First request to the last send at the fake. */
    firstRequestToLastSend_s: number
  }
  d1: {
    /** D1 calls made while serving the requests (replies and their waitUntil work), per event. */
    requestCallsPerMessage: number
    /** D1 calls made by queue consumer invocations, per event. */
    queueCallsPerMessage: number
    /** KV calls (requests; queue consumer), per event. */
    requestKvPerMessage: number
    queueKvPerMessage: number
    queueBatches: number
    queueMessages: number
  }
  /** CPU of the whole workerd process from the first request to the end of the drain, per event. */
  workerdCpuMsPerMessage: number
}

export interface BurstResult {
  events: number
  connections: number
  mps: number
  /** CPUs and the 1-minute load average just before the burst (other work on the machine shows here). */
  machine: { cpus: number; load1: number }
  sides: BurstSide[]
}

interface Totals {
  requests: { beforeReply: { d1: number; kv: number } }
  queue: { d1: number; kv: number }
  batches: number
  messages: number
}

interface FakeSenderStats {
  accepted: number
  overRate?: number
  segments: number
  firstAt: number | null
  lastAt: number | null
  maxPerSecond: number
}

const fixture = JSON.parse(readFileSync('test/fixtures/ci360/outbound-sms-oneline.json', 'utf8'))
const FIXTURE_FROM = 'channel:Zx8QpLm2RkWc4sTn7YbVhA'

const round = (n: number, places = 1) => Math.round(n * 10 ** places) / 10 ** places
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0
}

export async function benchBurst(
  providers: Record<string, string>,
  options: { events: number; connections: number },
): Promise<BurstResult> {
  const machine = { cpus: os.cpus().length, load1: round(os.loadavg()[0] ?? 0, 2) }
  const sides: BurstSide[] = []
  for (const mode of ['sync', 'queued'] as const) sides.push(await burstOne(providers, mode, options))
  return { events: options.events, connections: options.connections, mps: BURST_MPS, machine, sides }
}

async function burstOne(
  providers: Record<string, string>,
  mode: SendMode,
  { events, connections }: { events: number; connections: number },
): Promise<BurstSide> {
  const scg = providers.scg
  if (!scg) throw new Error('no fake SCG')
  // A token and a sender of their own per mode and run: the fake's counts and the pacer start from zero.
  const token = `scg-burst-${mode}-${randomBytes(4).toString('hex')}`
  const sender = `channel:${randomBytes(16).toString('base64url').slice(0, 22)}`
  const tenant = FIXTURE_TENANT
  const control = await fetch(`${scg}/__control/rate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ key: token, senders: { [sender]: { mps: BURST_MPS } } }),
  })
  if (!control.ok) throw new Error(`fake SCG rate: HTTP ${control.status} ${await control.text()}`)

  const worker = await startBenchWorker({
    storage: 'miniflare',
    vars: {
      [`TENANT_${tenant}`]: tenantSecret(providers, {
        scg_access_token: token,
        send_mode: mode,
        senders: { [sender]: { mps: BURST_MPS } },
      }),
      log_level: LOG_LEVEL,
    },
    queues: true,
    countAll: true,
  })
  try {
    // Warm-up without a send: the isolate compiles the bundle and builds its app.
    for (let i = 0; i < 4; i++) await (await fetch(`${worker.url}/health`)).arrayBuffer()

    const url = `${worker.url}/v1/tenants/${tenant}/scg/messages`
    const latencies: number[] = []
    const statuses: Record<string, number> = {}
    const answered = new Set<string>()
    let next = 0
    const cpuBefore = worker.cpuSeconds()
    const started = Date.now()
    const t0 = performance.now()
    const lane = async () => {
      while (next < events) {
        next++
        const guid = randomUUID()
        const event = structuredClone(fixture)
        event.guid = guid
        event.externalTenantId = tenant
        event.date.generatedTimestamp = Date.now()
        event.impression.creativeContent = String(event.impression.creativeContent).replace(
          FIXTURE_FROM,
          sender,
        )
        const body = JSON.stringify(event)
        const at = performance.now()
        let key: string
        try {
          const res = await fetch(url, {
            method: 'POST',
            headers: { 'x-api-key': API_KEY, 'content-type': 'text/plain;charset=UTF-8' },
            body,
          })
          const text = await res.text()
          let status = ''
          try {
            status = String((JSON.parse(text) as { status?: unknown }).status ?? '')
          } catch {
            status = text.slice(0, 40)
          }
          key = `${res.status} ${status}`.trim()
          if (res.ok) answered.add(guid)
        } catch {
          key = 'error'
        }
        latencies.push(performance.now() - at)
        statuses[key] = (statuses[key] ?? 0) + 1
      }
    }
    await Promise.all(Array.from({ length: connections }, lane))
    const acceptSeconds = (performance.now() - t0) / 1000
    const acceptEnd = Date.now()
    latencies.sort((a, b) => a - b)

    // The drain: until the fake has every answered event, or the time a 200/s sender needs, twice, + 60 s.
    const deadline = Date.now() + (events / BURST_MPS) * 2000 + 60_000
    let stats = await fakeStats(scg, token, sender)
    while (stats.accepted < answered.size && Date.now() < deadline) {
      await sleep(500)
      stats = await fakeStats(scg, token, sender)
    }
    const drained = stats.accepted >= answered.size
    // The consumer records its outcomes after the sends: wait for the rows to settle (or 15 s).
    const db = await worker.d1()
    let deliveries: Record<string, number> = {}
    for (let i = 0; i < 30; i++) {
      const rows = await db
        .prepare('SELECT state, COUNT(*) AS n FROM deliveries WHERE tenant_id = ? GROUP BY state')
        .bind(tenant)
        .all<{ state: string; n: number }>()
      deliveries = Object.fromEntries(rows.results.map((r) => [r.state, r.n]))
      if (!deliveries.accepted && !deliveries.sending) break
      await sleep(500)
    }
    // Late duplicates would show up here too.
    stats = await fakeStats(scg, token, sender)
    const cpuMs = (worker.cpuSeconds() - cpuBefore) * 1000
    const totals = (await (await fetch(`${worker.url}/__bench/totals`)).json()) as Totals
    const recorded = await fakeRequests(scg, token, events)
    const guids = new Set(recorded.map((r) => r.external_id?.split('|').pop() ?? ''))
    const perSecond: number[] = []
    for (const r of recorded) {
      const second = Math.floor((r.created_date - started) / 1000)
      for (let i = perSecond.length; i <= second; i++) perSecond.push(0)
      perSecond[second] = (perSecond[second] ?? 0) + 1
    }
    const firstWhole = Math.ceil((acceptEnd - started) / 1000)
    const after = perSecond.slice(firstWhole, -1).sort((x, y) => x - y)
    const overRateAt = recorded
      .filter((r) => r.state === 'FAILED')
      .map((r) => round((r.created_date - started) / 1000, 2))
    let missing = 0
    for (const g of answered) if (!guids.has(g)) missing++
    const span = stats.firstAt !== null && stats.lastAt !== null ? stats.lastAt - stats.firstAt : 0
    return {
      mode,
      events,
      connections,
      sender,
      accept: {
        seconds: round(acceptSeconds, 2),
        rps: Math.round(events / acceptSeconds),
        p50_ms: round(percentile(latencies, 50)),
        p99_ms: round(percentile(latencies, 99)),
        max_ms: round(latencies[latencies.length - 1] ?? 0),
      },
      statuses,
      fake: {
        accepted: stats.accepted,
        overRate: stats.overRate ?? 0,
        segments: stats.segments,
        firstAt: stats.firstAt,
        lastAt: stats.lastAt,
        maxPerSecond: stats.maxPerSecond,
        ratePerSecond: span > 0 ? round(stats.accepted / (span / 1000)) : 0,
        steadyPerSecond: span > 0 ? round(Math.max(0, stats.segments - BURST_MPS) / (span / 1000)) : 0,
        distinctGuids: guids.size,
        missing,
        perSecond,
        afterAcceptMedianPerSecond: after.length ? (after[Math.floor(after.length / 2)] ?? 0) : 0,
        overRateAt_s: overRateAt.slice(0, 50),
      },
      duplicates: stats.accepted - guids.size,
      deliveries,
      lost: events - (deliveries.sent ?? 0),
      drained,
      drain: {
        firstToLastSend_s: round(span / 1000, 2),
        firstRequestToLastSend_s: stats.lastAt !== null ? round((stats.lastAt - started) / 1000, 2) : 0,
      },
      d1: {
        requestCallsPerMessage: round(totals.requests.beforeReply.d1 / events, 2),
        queueCallsPerMessage: round(totals.queue.d1 / events, 2),
        requestKvPerMessage: round(totals.requests.beforeReply.kv / events, 2),
        queueKvPerMessage: round(totals.queue.kv / events, 2),
        queueBatches: totals.batches,
        queueMessages: totals.messages,
      },
      workerdCpuMsPerMessage: round(cpuMs / events, 2),
    }
  } finally {
    await worker.stop()
  }
}

async function fakeStats(scg: string, token: string, sender: string): Promise<FakeSenderStats> {
  const res = await fetch(`${scg}/__control/stats?key=${encodeURIComponent(token)}`)
  const body = (await res.json()) as { bySender: Record<string, FakeSenderStats> }
  const senders = Object.keys(body.bySender)
  if (senders.some((s) => s !== sender)) throw new Error(`fake SCG saw other senders: ${senders.join(', ')}`)
  return (
    body.bySender[sender] ?? {
      accepted: 0,
      overRate: 0,
      segments: 0,
      firstAt: null,
      lastAt: null,
      maxPerSecond: 0,
    }
  )
}

interface RecordedRequest {
  external_id: string | null
  state: string
  created_date: number
}

/** The fake's recorded requests for `token` (each `external_id` ends with the event's guid). */
async function fakeRequests(scg: string, token: string, events: number): Promise<RecordedRequest[]> {
  const res = await fetch(
    `${scg}/scg-external-api/api/v1/messaging/message_requests?offset=0&limit=${events * 2 + 100}`,
    { headers: { authorization: `Bearer ${token}` } },
  )
  return ((await res.json()) as { list: RecordedRequest[] }).list
}

export function printBurst(r: BurstResult): void {
  const [a, b] = r.sides
  if (!a || !b) return
  console.log(
    `\nCampaign burst: ${r.events} events at ${r.connections} connections, one sender paced at ${r.mps} segments/s (tenant and fake SCG); local D1/KV, queue and pacer in Miniflare; ${r.machine.cpus} CPUs, load ${r.machine.load1} before`,
  )
  const status = (s: BurstSide) => {
    const ok = s.statuses['200 OK'] ?? 0
    const accepted = s.statuses['202 ACCEPTED'] ?? 0
    return `${ok} / ${accepted} / ${s.events - ok - accepted}`
  }
  const rows: [string, (s: BurstSide) => string | number][] = [
    ['accept phase req/s', (s) => s.accept.rps],
    ['answer p50 / p99 ms', (s) => `${s.accept.p50_ms} / ${s.accept.p99_ms}`],
    ['200 OK / 202 ACCEPTED / other', status],
    ['failed for rate at SCG (1039)', (s) => s.fake.overRate],
    [
      `send rate at fake (/s; set ${r.mps})`,
      (s) => `${s.fake.ratePerSecond} (${round(((s.fake.ratePerSecond - r.mps) / r.mps) * 100)} %)`,
    ],
    ['  after the first burst of 200', (s) => s.fake.steadyPerSecond],
    ['  median second after accept phase', (s) => s.fake.afterAcceptMedianPerSecond || '-'],
    ['busiest second at fake', (s) => s.fake.maxPerSecond],
    ['at fake / distinct guids', (s) => `${s.fake.accepted} / ${s.fake.distinctGuids}`],
    ['duplicates', (s) => s.duplicates],
    ['lost (events − sent rows)', (s) => s.lost],
    ['deliveries by state', (s) => JSON.stringify(s.deliveries)],
    ['first → last send s', (s) => s.drain.firstToLastSend_s],
    ['first request → last send s', (s) => s.drain.firstRequestToLastSend_s],
    ['D1 calls/msg: requests', (s) => s.d1.requestCallsPerMessage],
    ['D1 calls/msg: queue consumer', (s) => s.d1.queueCallsPerMessage],
    ['KV calls/msg: requests / queue', (s) => `${s.d1.requestKvPerMessage} / ${s.d1.queueKvPerMessage}`],
    ['queue batches (messages)', (s) => `${s.d1.queueBatches} (${s.d1.queueMessages})`],
    ['workerd CPU ms/msg', (s) => s.workerdCpuMsPerMessage],
  ]
  console.log(`${''.padEnd(32)} ${'sync'.padEnd(26)} queued`)
  for (const [label, cell] of rows)
    console.log(`${label.padEnd(32)} ${String(cell(a)).padEnd(26)} ${cell(b)}`)
  for (const s of r.sides) {
    if (!s.drained) console.log(`[${s.mode}] NOT DRAINED before the deadline`)
    console.log(`[${s.mode}] sends per second since the first request: ${s.fake.perSecond.join(' ')}`)
    if (s.fake.overRateAt_s.length && s.mode === 'queued')
      console.log(`[${s.mode}] over-rate sends at (s): ${s.fake.overRateAt_s.join(' ')}`)
  }
}
