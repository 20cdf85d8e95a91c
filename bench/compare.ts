import { type BenchWorker, type Storage, startBenchWorker } from './miniflare'
import { CASES, type Case, drive, newTargetState, type TargetState } from './routes'

/**
 * Two builds of the connector (another checkout's `dist/index.js` and this one's) in short alternating
 * rounds (A B, B A, …) per storage mode, route and connection count, so the machine's drift hits both
 * alike. Reports workerd CPU per request and req/s of each, and their ratios (this build / baseline).
 */

interface Side {
  label: 'baseline' | 'this build'
  worker: BenchWorker
  state: TargetState
}

export interface ComparisonRow {
  storage: Storage
  route: string
  connections: number
  baseline: { cpu_ms_per_req: number; rps: number }
  current: { cpu_ms_per_req: number; rps: number }
}

const ROUTES = ['GET /health', 'SCG send', 'SCG webhook']
const round3 = (n: number) => Math.round(n * 1000) / 1000

export async function compareBuilds(
  vars: Record<string, string>,
  o: { baseline: string; rounds: number; seconds: number; connections: number[] },
): Promise<ComparisonRow[]> {
  const rows: ComparisonRow[] = []
  for (const storage of ['memory', 'miniflare'] as Storage[]) {
    const sides: Side[] = []
    try {
      for (const [label, bundle] of [
        ['baseline', o.baseline],
        ['this build', undefined],
      ] as const) {
        const worker = await startBenchWorker({ storage, vars, ...(bundle ? { bundle } : {}) })
        sides.push({ label, worker, state: newTargetState() })
      }
      for (const route of ROUTES) {
        const c = CASES.find((x) => x.route === route) as Case
        for (const s of sides) await drive(s.worker.url, c, s.state, 4, 1)
        for (const connections of o.connections) {
          const acc = sides.map(() => ({ cpu: 0, n: 0, rps: 0 }))
          for (let r = 0; r < o.rounds; r++) {
            for (const i of r % 2 ? [1, 0] : [0, 1]) {
              const side = sides[i] as Side
              const a = acc[i] as { cpu: number; n: number; rps: number }
              const before = side.worker.cpuSeconds()
              const res = await drive(side.worker.url, c, side.state, connections, o.seconds)
              a.cpu += side.worker.cpuSeconds() - before
              a.n += res.requests
              a.rps += res.rps / o.rounds
            }
          }
          const [b, t] = acc.map((a) => ({
            cpu_ms_per_req: round3((a.cpu * 1000) / Math.max(1, a.n)),
            rps: Math.round(a.rps),
          }))
          rows.push({
            storage,
            route,
            connections,
            baseline: b as ComparisonRow['baseline'],
            current: t as ComparisonRow['current'],
          })
          console.log(
            `  ${storage} ${route} c=${connections}: baseline ${b?.cpu_ms_per_req} ms ${b?.rps} req/s, this build ${t?.cpu_ms_per_req} ms ${t?.rps} req/s`,
          )
        }
      }
    } finally {
      await Promise.all(sides.map((s) => s.worker.stop()))
    }
  }
  return rows
}

export function printComparison(rows: ComparisonRow[]): void {
  console.log(
    '\nThis build against the baseline, alternating rounds (workerd process CPU per request; req/s):',
  )
  console.log('mode       route        conns  CPU ms base → this (ratio)   req/s base → this (ratio)')
  for (const r of rows) {
    const cpu = `${r.baseline.cpu_ms_per_req} → ${r.current.cpu_ms_per_req} (${(r.current.cpu_ms_per_req / r.baseline.cpu_ms_per_req).toFixed(2)})`
    const rps = `${r.baseline.rps} → ${r.current.rps} (${(r.current.rps / Math.max(1, r.baseline.rps)).toFixed(2)})`
    console.log(
      `${r.storage.padEnd(10)} ${r.route.padEnd(12)} ${String(r.connections).padStart(5)}  ${cpu.padEnd(28)} ${rps}`,
    )
  }
}
