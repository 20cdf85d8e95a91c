import { CI360_CLIENT_SECRETS, FIXTURE_TENANT, OTHER_TENANT } from '../test/support/constants'
import { startBenchWorker } from './miniflare'
import { CASES, drive, LOG_LEVEL, newTargetState, probe, tenantSecret } from './routes'

/**
 * The D1 ceiling, simulated locally: in-memory databases that each run one query at a time and hold for
 * `queryMs` (a timer, not CPU), so one database serves at most 1000 / queryMs queries/s however fast the
 * Worker is. Three tenants: A and C share database 0, B has database 1 (the binding map of
 * docs/scaling.md). Sends to A alone, then A + B (two databases), then A + C (one database).
 */

const THIRD_TENANT = '0123456789abcdef01234567'

export interface ScalingResult {
  queryMs: number
  d1QueriesPerSend: number
  ceilingPerDatabase: number
  runs: { label: string; perTenant: number[]; total: number; failed: number }[]
}

export async function benchScaling(
  providers: Record<string, string>,
  options: { seconds: number; queryMs: number; connections: number },
): Promise<ScalingResult> {
  const tenants = [FIXTURE_TENANT, OTHER_TENANT, THIRD_TENANT]
  const vars: Record<string, string> = { log_level: LOG_LEVEL }
  for (const t of tenants) {
    vars[`TENANT_${t}`] = tenantSecret(providers, { ci360_client_secret: CI360_CLIENT_SECRETS[t] })
  }
  const worker = await startBenchWorker({
    storage: 'memory',
    vars,
    groups: { [FIXTURE_TENANT]: 0, [OTHER_TENANT]: 1, [THIRD_TENANT]: 0 },
    queryMs: options.queryMs,
  })
  const send = CASES.find((c) => c.route === 'SCG send')
  if (!send) throw new Error('no SCG send case')
  try {
    const counted = await probe(worker.url, send, newTargetState(), FIXTURE_TENANT)
    const queries = counted.beforeReply.d1 + counted.afterReply.d1
    const load = (list: string[]) =>
      Promise.all(
        list.map((t) => drive(worker.url, send, newTargetState(), options.connections, options.seconds, t)),
      )
    const runs: ScalingResult['runs'] = []
    for (const [label, list] of [
      ['tenant A alone (database 0)', [FIXTURE_TENANT]],
      ['tenants A + B (databases 0 and 1)', [FIXTURE_TENANT, OTHER_TENANT]],
      ['tenants A + C (both on database 0)', [FIXTURE_TENANT, THIRD_TENANT]],
    ] as const) {
      const results = await load([...list])
      const perTenant = results.map((r) => r.rps)
      const failed = results.reduce((n, r) => n + r.errors + r.non_2xx, 0)
      runs.push({ label, perTenant, total: perTenant.reduce((a, b) => a + b, 0), failed })
    }
    return {
      queryMs: options.queryMs,
      d1QueriesPerSend: queries,
      ceilingPerDatabase: Math.round(1000 / options.queryMs / Math.max(1, queries)),
      runs,
    }
  } finally {
    await worker.stop()
  }
}

export function printScaling(r: ScalingResult): void {
  console.log(
    `\nD1 ceiling (LOCAL SIMULATION: in-memory databases, one query at a time, ${r.queryMs} ms each = ${Math.round(1000 / r.queryMs)} queries/s per database)`,
  )
  console.log(
    `SCG send: ${r.d1QueriesPerSend} D1 queries per send → model ceiling ${r.ceilingPerDatabase} sends/s per database`,
  )
  for (const run of r.runs) {
    console.log(
      `  ${run.label.padEnd(36)} ${String(run.total).padStart(6)} sends/s  (per tenant ${run.perTenant.join(' + ')}; failed ${run.failed})`,
    )
  }
}
