import { FIXTURE_TENANT } from '../test/support/constants'
import { type BenchWorker, startBenchWorker } from './miniflare'
import { CASES, type Case, drive, newTargetState, type TargetState, tenantSecret } from './routes'

/**
 * Two variants of the Worker compared in short alternating rounds (A B, B A, A B, …), so the machine's
 * drift over minutes hits both alike; the result is a ratio. Used for the cost of the `info` log lines:
 * both variants run the in-memory mode without the inspector (with it attached, every console line is
 * also serialised for the inspector, which inflates what logging costs in a CPU profile).
 */

export interface AlternateResult {
  route: string
  variants: { label: string; cpu_ms_per_req: number; rps: number }[]
  /** CPU per request of the first variant over the second. */
  ratio: number
}

export async function compareLogLevels(
  providers: Record<string, string>,
  options: { rounds: number; seconds: number; route?: string },
): Promise<AlternateResult> {
  const c = CASES.find((x) => x.route === (options.route ?? 'SCG send')) as Case
  const variants: {
    label: string
    worker: BenchWorker
    state: TargetState
    cpu: number
    n: number
    rps: number
  }[] = []
  try {
    for (const level of ['info', 'warn']) {
      const worker = await startBenchWorker({
        storage: 'memory',
        vars: { [`TENANT_${FIXTURE_TENANT}`]: tenantSecret(providers), log_level: level },
      })
      variants.push({ label: `log_level ${level}`, worker, state: newTargetState(), cpu: 0, n: 0, rps: 0 })
    }
    for (const v of variants) await drive(v.worker.url, c, v.state, 4, 1)
    for (let round = 0; round < options.rounds; round++) {
      for (const v of round % 2 ? [...variants].reverse() : variants) {
        const before = v.worker.cpuSeconds()
        const r = await drive(v.worker.url, c, v.state, 16, options.seconds)
        v.cpu += v.worker.cpuSeconds() - before
        v.n += r.requests
        v.rps += r.rps / options.rounds
      }
    }
  } finally {
    await Promise.all(variants.map((v) => v.worker.stop()))
  }
  const perReq = variants.map((v) => (v.cpu * 1000) / Math.max(1, v.n))
  return {
    route: c.route,
    variants: variants.map((v, i) => ({
      label: v.label,
      cpu_ms_per_req: Math.round((perReq[i] ?? 0) * 1000) / 1000,
      rps: Math.round(v.rps),
    })),
    ratio: Math.round(((perReq[0] ?? 0) / (perReq[1] || 1)) * 100) / 100,
  }
}

export function printAlternate(r: AlternateResult): void {
  console.log(`\n${r.route}, in-memory mode, 16 connections, alternating rounds (workerd process CPU):`)
  for (const v of r.variants)
    console.log(`  ${v.label.padEnd(16)} ${v.cpu_ms_per_req} ms/req  ${v.rps} req/s`)
  console.log(`  ratio ${r.variants[0]?.label} / ${r.variants[1]?.label}: ${r.ratio}`)
}
