import { FIXTURE_TENANT, S3_ACCESS_KEY_ID, S3_REGION, S3_SECRET_ACCESS_KEY } from '../test/support/constants'
import { startChild } from './children'
import { cpuSecondsOf, sampleMemory } from './proc'
import { measureAsyncCopy } from './s3-async'
import type { BaselineJob } from './s3-baseline'
import { startWranglerDev } from './wrangler-dev'

/**
 * `npm run bench:s3`: copy a generated file (1 GiB by default) from a local source into the local S3
 * server, through the Worker under wrangler's dev server (ranged and sequential sources), and with
 * `@aws-sdk/lib-storage` from Node as the baseline. Reports MiB/s, the copying processes' peak RSS
 * growth and CPU seconds, checks each copy's SHA-256, prints a table, writes JSON to bench/results/.
 * Options: `--size-mb N`, `--inspector` (the `wrangler dev` CLI with DevTools attached; slow).
 */

const MIB = 1024 * 1024
const API_KEY = 'bench-api-key'
const BUCKET = 'bench'
/** A second tenant, identical but for `bulk_mode=async`: its copies run on the BULK_COPY Workflow. */
const ASYNC_TENANT = 'benchasync'

export interface S3BenchRow {
  /** Wrangler's dev server with or without the DevTools inspector (see wrangler-dev.ts), or Node. */
  runtime: string
  mode: 'ranged' | 'sequential'
  copier: 'worker' | 'worker-async' | 'aws-sdk-lib-storage'
  mib: number
  /** Wall time of the copy; for `worker-async`, until the job route said `done`. */
  seconds: number
  /** `worker-async` only: how long CI360 waits for its answer (the 202). */
  seconds_to_202?: number
  mib_per_s: number
  peak_rss_growth_mb: number
  cpu_seconds: number
  sha256_ok: boolean
}

export interface S3BenchOptions {
  sizeBytes?: number
  port?: number
  partSizeMb?: number
  inspector?: boolean
}

export async function benchS3(options: S3BenchOptions = {}): Promise<S3BenchRow[]> {
  const sizeBytes = options.sizeBytes ?? 1024 * MIB
  const partSizeMb = options.partSizeMb ?? 8
  const inspector = options.inspector ?? false
  const source = await startChild<{ url: string }>('--serve-source', {})
  const s3 = await startChild<{ url: string }>('--serve-s3', {})
  const tenant = {
    api_keys: [API_KEY],
    s3_bucket_name: BUCKET,
    s3_endpoint: s3.info.url,
    s3_region: S3_REGION,
    s3_part_size_mb: partSizeMb,
    bulk_allow_http_sources: true,
    aws_access_key_id: S3_ACCESS_KEY_ID,
    aws_secret_access_key: S3_SECRET_ACCESS_KEY,
    provider_timeout_ms: 30000,
  }
  const dev = await startWranglerDev(
    options.port ?? 8786,
    {
      [`TENANT_${FIXTURE_TENANT}`]: JSON.stringify({ ...tenant, bulk_mode: 'sync' }),
      [`TENANT_${ASYNC_TENANT}`]: JSON.stringify({ ...tenant, bulk_mode: 'async' }),
      log_level: 'warn',
    },
    // The async tenant's jobs live in D1 (bulk_jobs).
    { inspector, migrate: true },
  ).catch(async (e: unknown) => {
    await Promise.all([source.stop(), s3.stop()])
    throw e
  })
  const runtime = inspector ? 'wrangler dev CLI (inspector on)' : 'wrangler dev (inspector off)'
  const rows: S3BenchRow[] = []
  try {
    await fetch(`${s3.info.url}/__control/bucket`, { method: 'POST', body: JSON.stringify({ name: BUCKET }) })
    const viaWorker = async (url: string, key: string) => {
      const res = await fetch(`${dev.url}/v1/tenants/${FIXTURE_TENANT}/bulk/s3`, {
        method: 'POST',
        headers: { 'x-api-key': API_KEY },
        body: JSON.stringify({ presignedUrls: { dataFile: url }, sendParameters: { s3_filename: key } }),
      })
      if (res.status !== 200) throw new Error(`worker copy failed: ${res.status} ${await res.text()}`)
    }
    // Warm the isolate up (module load, first connections) so the readings are about the copy.
    await viaWorker(`${source.info.url}/bench/warmup.bin?size=${16 * MIB}`, 'warmup.bin')

    for (const mode of ['ranged', 'sequential'] as const) {
      const url = `${source.info.url}/bench/${mode}.bin?size=${sizeBytes}${mode === 'sequential' ? '&ranges=0' : ''}`
      const expected = await controlJson<{ sha256: string }>(
        `${source.info.url}/__control/digest?path=${encodeURIComponent(new URL(url).pathname + new URL(url).search)}`,
      )
      const stored = async (key: string) =>
        (
          await controlJson<{ sha256?: string }>(
            `${s3.info.url}/__control/object?bucket=${BUCKET}&key=${key}`,
          )
        ).sha256

      const pids = dev.workerdPids
      const cpu = cpuSecondsOf(pids)
      const memory = sampleMemory(pids)
      const started = performance.now()
      await viaWorker(url, `worker-${mode}.bin`)
      const seconds = (performance.now() - started) / 1000
      const workerRow = row(
        runtime,
        mode,
        'worker',
        sizeBytes,
        seconds,
        memory.stop().growth,
        cpuSecondsOf(pids) - cpu,
      )
      workerRow.sha256_ok = (await stored(`worker-${mode}.bin`)) === expected.sha256
      rows.push(workerRow)

      const reading = await measureAsyncCopy(
        dev.url,
        ASYNC_TENANT,
        API_KEY,
        { presignedUrls: { dataFile: url }, sendParameters: { s3_filename: `async-${mode}.bin` } },
        pids,
      )
      const asyncRow = row(
        runtime,
        mode,
        'worker-async',
        sizeBytes,
        reading.seconds_to_done,
        reading.peak_rss_growth_mb * 1e6,
        reading.cpu_seconds,
      )
      asyncRow.seconds_to_202 = Math.round(reading.seconds_to_202 * 1000) / 1000
      asyncRow.sha256_ok = (await stored(`async-${mode}.bin`)) === expected.sha256
      rows.push(asyncRow)

      const baseline = await measureBaseline(mode, sizeBytes, {
        endpoint: s3.info.url,
        region: S3_REGION,
        accessKeyId: S3_ACCESS_KEY_ID,
        secretAccessKey: S3_SECRET_ACCESS_KEY,
        bucket: BUCKET,
        key: `sdk-${mode}.bin`,
        sourceUrl: url,
        partSize: partSizeMb * MIB,
        queueSize: 4,
      })
      baseline.sha256_ok = (await stored(`sdk-${mode}.bin`)) === expected.sha256
      rows.push(baseline)
    }
  } finally {
    await dev.stop()
    await Promise.all([source.stop(), s3.stop()])
  }
  return rows
}

/** The SDK copy in its own process; memory and CPU are read around the copy only. */
async function measureBaseline(
  mode: S3BenchRow['mode'],
  bytes: number,
  job: BaselineJob,
): Promise<S3BenchRow> {
  const child = await startChild<{ ready: boolean }>('--baseline', job)
  const pids = [child.pid]
  const cpuBefore = cpuSecondsOf(pids)
  let cpuAfter = cpuBefore
  const sampleCpu = setInterval(() => {
    cpuAfter = Math.max(cpuAfter, cpuSecondsOf(pids))
  }, 20)
  const memory = sampleMemory(pids)
  const exited = new Promise<number | null>((resolve) => child.process.on('exit', resolve))
  child.process.stdin!.end('go\n')
  const code = await exited
  clearInterval(sampleCpu)
  const growth = memory.stop().growth
  if (code !== 0) throw new Error(`baseline copy failed (exit ${code})`)
  const { seconds } = JSON.parse(child.output().trim().split('\n').at(-1) ?? '{}') as { seconds: number }
  return row(
    `node ${process.version}`,
    mode,
    'aws-sdk-lib-storage',
    bytes,
    seconds,
    growth,
    cpuAfter - cpuBefore,
  )
}

function row(
  runtime: string,
  mode: S3BenchRow['mode'],
  copier: S3BenchRow['copier'],
  bytes: number,
  seconds: number,
  rssGrowth: number,
  cpu: number,
): S3BenchRow {
  const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits
  return {
    runtime,
    mode,
    copier,
    mib: bytes / MIB,
    seconds: round(seconds, 2),
    mib_per_s: round(bytes / MIB / seconds),
    peak_rss_growth_mb: round(rssGrowth / 1e6),
    cpu_seconds: round(cpu, 2),
    sha256_ok: false,
  }
}

async function controlJson<T>(url: string): Promise<T> {
  return (await (await fetch(url)).json()) as T
}

/** The table, and the targets: throughput ≥ the baseline's, peak RSS growth < 100 MB. */
export function printS3Table(rows: S3BenchRow[]): void {
  console.log('\nS3 bulk copy: MiB/s, peak RSS growth (MB) and CPU seconds of the copying processes')
  console.table(rows)
  for (const mode of ['ranged', 'sequential'] as const) {
    const worker = rows.find((r) => r.mode === mode && r.copier === 'worker')
    const sdk = rows.find((r) => r.mode === mode && r.copier === 'aws-sdk-lib-storage')
    const queued = rows.find((r) => r.mode === mode && r.copier === 'worker-async')
    if (queued) {
      console.log(
        `${mode} async: 202 after ${queued.seconds_to_202} s, done after ${queued.seconds} s (${queued.mib_per_s} MiB/s)`,
      )
    }
    if (!worker || !sdk) continue
    const fast = worker.mib_per_s >= sdk.mib_per_s ? 'met' : 'MISSED'
    const lean = worker.peak_rss_growth_mb < 100 ? 'met' : 'MISSED'
    console.log(`${mode}: throughput >= baseline ${fast}; worker peak RSS growth < 100 MB ${lean}`)
  }
}
