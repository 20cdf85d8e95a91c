import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { FIXTURE_TENANT } from '../test/support/constants'
import { type AlternateResult, compareLogLevels, printAlternate } from './alternate'
import { type BurstResult, benchBurst, printBurst } from './burst'
import { runRole, startChild } from './children'
import { compareBuilds, printComparison } from './compare'
import { type BenchWorker, bundleSize, type Storage, startBenchWorker } from './miniflare'
import { recordProfile, saveProfile, summarise } from './profile'
import {
  CASES,
  drive,
  LOG_LEVEL,
  type LoadResult,
  newTargetState,
  probe,
  type TargetState,
  tenantSecret,
} from './routes'
import { benchS3, printS3Table, type S3BenchRow } from './s3'
import { benchScaling, printScaling, type ScalingResult } from './scaling'
import { benchShards, printShards, type ShardResult } from './shards'
import type { CallCounts } from './worker/counts'

/**
 * `npm run bench`: the built connector served by Miniflare directly, every route at 1/16/64 connections in
 * two storage modes (Miniflare's local D1/KV simulators; in-memory stand-ins), measured in alternating
 * rounds so the machine's drift hits both alike; the D1/KV calls each route makes before its reply; the
 * D1 ceiling simulation; a CPU profile of SCG sends (in-memory mode); the bundle size. How to read it:
 * docs/bench-method.md.
 *
 * BENCH_ONLY=routes|scaling|shards|loglevel|profile|burst runs one part (shards: one tenant over 1, 2, 4, 8
 * databases, bench/shards.ts; BENCH_SHARD_CONNECTIONS per database, default 8); BENCH_ONLY=compare BENCH_BASELINE=<other build's
 * dist/index.js> compares that build with this one in alternating rounds (bench/compare.ts; BENCH_ROUNDS,
 * default 3).
 * Options: BENCH_SECONDS or `--seconds N` per load case (default 5); `--quick` (2 s, 1 and 16
 * connections, no scaling run); `--s3` also runs the S3 copy benchmark (else `npm run bench:s3`);
 * BENCH_D1_QUERY_MS (default 8) for the ceiling simulation; BENCH_BURST_EVENTS (default 10000) for the
 * campaign burst (bench/burst.ts).
 */

interface Row extends LoadResult {
  storage: Storage
  route: string
  connections: number
  /** CPU of the whole workerd process (Worker, Miniflare's routing, and in mode miniflare the D1/KV simulators) per request. */
  workerd_cpu_ms_per_req: number
}

const CHILD_ROLES = ['--serve-providers', '--serve-source', '--serve-s3', '--dev-server', '--baseline']
/** Profile buckets that are the in-memory stand-ins and the bench wrapper, not the connector. */
const STAND_IN = ['WebAssembly (sql.js', 'npm:sql.js', 'bench/worker/', 'entry.mjs']
interface Counted {
  route: string
  storage: Storage
  status: number
  beforeReply: CallCounts
  afterReply: CallCounts
}

const MODES: Storage[] = ['miniflare', 'memory']
const LABEL: Record<Storage, string> = { miniflare: 'local D1/KV', memory: 'in-memory' }

async function main() {
  const args = process.argv.slice(2)
  // A child process of this benchmark (fake providers, S3 parts) starts as `<bundle> --serve-… {json}`.
  if (CHILD_ROLES.includes(args[0] ?? '') && (await runRole(args))) return
  const opt = (name: string) => {
    const i = args.indexOf(name)
    return i >= 0 ? Number(args[i + 1]) : undefined
  }
  const quick = args.includes('--quick')
  const seconds = opt('--seconds') ?? (Number(process.env.BENCH_SECONDS) || (quick ? 2 : 5))
  const connectionsList = quick ? [1, 16] : [1, 16, 64]
  const only = process.env.BENCH_ONLY as
    | 'routes'
    | 'scaling'
    | 'loglevel'
    | 'profile'
    | 'compare'
    | 'burst'
    | 'shards'
    | undefined

  const bundle = bundleSize()
  console.log(
    `Bundle (wrangler deploy --dry-run --minify): ${bundle.minKiB} KiB minified, ${bundle.gzipKiB} KiB gzip (npm run size caps gzip at 128 KiB)\n`,
  )

  const providers = await startChild<Record<string, string>>('--serve-providers', {})
  const vars = { [`TENANT_${FIXTURE_TENANT}`]: tenantSecret(providers.info), log_level: LOG_LEVEL }
  let rows: Row[] = []
  let counts: Counted[] = []
  let scaling: ScalingResult | undefined
  let shards: ShardResult | undefined
  let logLines: AlternateResult | undefined
  let profileSummary: Awaited<ReturnType<typeof profileSends>> | undefined
  let burst: BurstResult | undefined
  try {
    if (only === 'compare') {
      const baseline = process.env.BENCH_BASELINE
      if (!baseline)
        throw new Error('BENCH_ONLY=compare needs BENCH_BASELINE=<path of another dist/index.js>')
      printComparison(
        await compareBuilds(vars, {
          baseline,
          rounds: Number(process.env.BENCH_ROUNDS) || 3,
          seconds: Math.min(seconds, 2),
          connections: connectionsList,
        }),
      )
    }
    if (only === undefined || only === 'routes')
      ({ rows, counts } = await benchRoutes(vars, seconds, connectionsList))

    if (only === 'scaling' || (only === undefined && !quick)) {
      scaling = await benchScaling(providers.info, {
        seconds,
        connections: 32,
        queryMs: Number(process.env.BENCH_D1_QUERY_MS) || 8,
      })
    }

    if (only === 'shards' || (only === undefined && !quick)) {
      shards = await benchShards(providers.info, {
        seconds,
        queryMs: Number(process.env.BENCH_D1_QUERY_MS) || 8,
        perDatabaseConnections: Number(process.env.BENCH_SHARD_CONNECTIONS) || 8,
      })
    }

    if (only === 'loglevel' || (only === undefined && !quick)) {
      logLines = await compareLogLevels(providers.info, { rounds: 4, seconds: Math.min(seconds, 3) })
    }

    if (only === undefined || only === 'profile')
      profileSummary = await profileSends(vars, Math.min(seconds, 5))

    if (only === 'burst' || (only === undefined && !quick)) {
      burst = await benchBurst(providers.info, {
        events: Number(process.env.BENCH_BURST_EVENTS) || 10_000,
        connections: 64,
      })
    }
  } finally {
    await providers.stop()
  }

  let s3: S3BenchRow[] = []
  if (args.includes('--s3')) s3 = await benchS3({ sizeBytes: (opt('--s3-size-mb') ?? 1024) * 1024 * 1024 })

  printSummary(rows, connectionsList)
  if (scaling) printScaling(scaling)
  if (shards) printShards(shards)
  if (logLines) printAlternate(logLines)
  if (profileSummary) printProfile(profileSummary)
  if (burst) printBurst(burst)
  console.log(`\nbundle ${bundle.minKiB} KiB minified / ${bundle.gzipKiB} KiB gzip`)
  if (s3.length) printS3Table(s3)

  const dir = path.join(process.cwd(), 'bench', 'results')
  mkdirSync(dir, { recursive: true })
  const file = path.join(dir, `bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`)
  const result = {
    at: new Date().toISOString(),
    seconds,
    bundle,
    rows,
    counts,
    scaling,
    shards,
    log_lines: logLines,
    profile: profileSummary,
    burst,
    s3,
  }
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`)
  console.log(`\nwritten ${path.relative(process.cwd(), file)}`)
}

/** Every route at each connection count, the two storage modes alternating within each case. */
async function benchRoutes(vars: Record<string, string>, seconds: number, connectionsList: number[]) {
  const workers = {} as Record<Storage, BenchWorker>
  const states = {} as Record<Storage, TargetState>
  const rows: Row[] = []
  const counts: Counted[] = []
  try {
    for (const storage of MODES) {
      workers[storage] = await startBenchWorker({ storage, vars })
      states[storage] = newTargetState()
    }
    console.log(`Routes: built bundle on Miniflare, ${seconds} s per case, modes alternate within each case`)
    for (const c of CASES) {
      for (const storage of MODES) {
        const counted = await probe(workers[storage].url, c, states[storage])
        counts.push({ route: c.route, storage, ...counted })
        // Warm-up (not measured): the isolate's first requests compile and build per-isolate state.
        await drive(workers[storage].url, c, states[storage], 4, 1)
      }
      const p = counts.filter((x) => x.route === c.route)
      for (const x of p) console.log(`${c.route.padEnd(14)} [${LABEL[x.storage]}] ${formatCounts(x)}`)
      for (const connections of connectionsList) {
        for (const storage of MODES) {
          const w = workers[storage]
          const cpu = w.cpuSeconds()
          const r = await drive(w.url, c, states[storage], connections, seconds)
          const row: Row = {
            storage,
            route: c.route,
            connections,
            ...r,
            workerd_cpu_ms_per_req:
              Math.round(((w.cpuSeconds() - cpu) * 1e5) / Math.max(1, r.requests)) / 100,
          }
          rows.push(row)
          console.log(formatRow(row))
        }
      }
    }
    for (const storage of MODES) {
      if (states[storage].repeats) {
        console.log(
          `[${LABEL[storage]}] ${states[storage].repeats} receipts/callbacks named a message already reported (answered DUPLICATE, cheaper)`,
        )
      }
    }
  } finally {
    await Promise.all(MODES.map((s) => workers[s]?.stop()))
  }
  return { rows, counts }
}

/** SCG sends at 16 connections in the in-memory mode, with workerd's inspector recording a CPU profile. */
async function profileSends(vars: Record<string, string>, seconds: number) {
  const inspectorPort = 24100 + Math.floor(Math.random() * 800)
  // log_level warn: with the inspector attached every console line is also serialised for it, which would
  // show logging several times dearer than it is (the log-level comparison measures it without).
  const worker = await startBenchWorker({
    storage: 'memory',
    vars: { ...vars, log_level: 'warn' },
    inspectorPort,
  })
  try {
    const send = CASES.find((c) => c.route === 'SCG send')
    if (!send) throw new Error('no SCG send case')
    const state = newTargetState()
    await drive(worker.url, send, state, 4, 1)
    let sends = 0
    const profile = await recordProfile(inspectorPort, async () => {
      sends = (await drive(worker.url, send, state, 16, seconds)).requests
    })
    const dir = path.join('bench', 'results')
    mkdirSync(dir, { recursive: true })
    saveProfile(path.join(dir, 'scg-send-memory.cpuprofile'), profile)
    const summary = summarise(profile, {
      'index.js': readFileSync('dist/index.js', 'utf8'),
      'entry.mjs': readFileSync('bench/.build/worker/entry.mjs', 'utf8'),
    })
    const standIn = summary.modules
      .filter((m) => STAND_IN.some((s) => m.module.startsWith(s)))
      .reduce((sum, m) => sum + m.share, 0)
    const perSend = summary.busyMs / Math.max(1, sends)
    return {
      ...summary,
      sends,
      busyMsPerSend: Math.round(perSend * 1000) / 1000,
      standInShare: Math.round(standIn * 10) / 10,
      busyMsPerSendWithoutStandIn: Math.round(perSend * (1 - standIn / 100) * 1000) / 1000,
    }
  } finally {
    await worker.stop()
  }
}

const formatCounts = (x: { status: number; beforeReply: CallCounts; afterReply: CallCounts }) => {
  const b = x.beforeReply
  const a = x.afterReply
  return `HTTP ${x.status}; before reply: D1 ${b.d1} (${b.d1Sequential} sequential), KV ${b.kv} (${b.kvSequential} sequential), ${b.sequential} sequential round trips; after reply: D1 ${a.d1}, KV ${a.kv}`
}

const formatRow = (r: Row) =>
  `${r.route.padEnd(14)} ${LABEL[r.storage].padEnd(11)} ${String(r.connections).padStart(3)} conn  ${String(r.rps).padStart(6)} req/s  p50 ${String(r.p50_ms).padStart(4)} ms  p99 ${String(r.p99_ms).padStart(4)} ms  errors ${r.errors}  non-2xx ${r.non_2xx}  workerd CPU ${r.workerd_cpu_ms_per_req} ms/req`

function printSummary(rows: Row[], connectionsList: number[]) {
  console.log(
    '\nSummary: req/s | p50/p99 ms | workerd process CPU ms per request (all of workerd: Worker, Miniflare routing, simulators)',
  )
  console.log(
    `${'route'.padEnd(14)} conn  ${'local D1/KV'.padEnd(30)} ${'in-memory'.padEnd(30)} in-memory/local req/s`,
  )
  for (const c of CASES) {
    for (const n of connectionsList) {
      const [a, b] = MODES.map((s) =>
        rows.find((r) => r.route === c.route && r.connections === n && r.storage === s),
      )
      if (!a || !b) continue
      const cell = (r: Row) => `${r.rps} | ${r.p50_ms}/${r.p99_ms} | ${r.workerd_cpu_ms_per_req}`.padEnd(30)
      console.log(
        `${c.route.padEnd(14)} ${String(n).padStart(4)}  ${cell(a)} ${cell(b)} ${(b.rps / Math.max(1, a.rps)).toFixed(2)}×`,
      )
    }
  }
  const errors = rows.reduce((n, r) => n + r.errors + r.non_2xx, 0)
  console.log(`errors + non-2xx over all cases: ${errors}`)
}

function printProfile(p: NonNullable<Awaited<ReturnType<typeof profileSends>>>) {
  console.log(
    `\nCPU profile, SCG send, in-memory mode, 16 connections, log_level warn (inspector attached): ${p.sends} sends, ${p.busyMsPerSend} ms busy isolate time per send`,
  )
  console.log(
    `  of which the in-memory stand-ins and bench wrapper: ${p.standInShare} %; the rest: ${p.busyMsPerSendWithoutStandIn} ms per send`,
  )
  console.log('Self time by module (share of busy samples):')
  for (const m of p.modules.slice(0, 15)) console.log(`  ${String(m.share).padStart(5)} %  ${m.module}`)
  console.log('Inclusive time by function (share of busy samples):')
  for (const f of p.functions.slice(0, 30)) console.log(`  ${String(f.share).padStart(5)} %  ${f.fn}`)
}

main().catch((e: unknown) => {
  console.error(e)
  process.exit(1)
})
