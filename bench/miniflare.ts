import { execFileSync } from 'node:child_process'
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { Readable } from 'node:stream'
import { readD1Migrations } from '@cloudflare/vitest-pool-workers'
import { build } from 'esbuild'
import { Miniflare } from 'miniflare'
import { unstable_getMiniflareWorkerOptions } from 'wrangler'
import { cpuSecondsOf, findChildren } from './proc'

/**
 * The built connector (`npm run build` → dist/index.js) served by Miniflare directly: its own HTTP socket
 * on 127.0.0.1, no `wrangler dev` proxy, no static-assets router in front, no inspector unless asked.
 * A small wrapper entry (bench/worker/entry.ts) sits in front of the bundle to choose the storage and count
 * binding calls; the connector's code is the built file, unchanged.
 */

export type Storage = 'miniflare' | 'memory'

export interface BenchWorker {
  url: string
  storage: Storage
  /** CPU seconds used so far by this instance's workerd process. */
  cpuSeconds(): number
  /** The D1 database behind `DB` (Miniflare's simulator; in memory mode not the one the Worker uses). */
  d1(): ReturnType<Miniflare['getD1Database']>
  stop(): Promise<void>
}

export interface BenchWorkerOptions {
  storage: Storage
  /** Worker vars and secrets on top of wrangler.toml's [vars]. */
  vars: Record<string, string>
  /** Memory storage: tenant id → database group (one in-memory database per group). */
  groups?: Record<string, number>
  /** Memory storage: how long each query holds its (single-threaded) database, in ms. */
  queryMs?: number
  inspectorPort?: number
  /** Another build of the connector to serve instead of dist/index.js (`BENCH_ONLY=compare`). */
  bundle?: string
  /**
   * Also run wrangler.toml's send queue (producer SENDS, consumer on "sends" with its batch settings)
   * and the PACER Durable Object (SQLite storage), as the campaign-burst part needs.
   */
  queues?: boolean
  /** Memory storage: this many databases behind one env, the logical shards split evenly (docs/scaling.md). */
  shards?: number
  /** With `shards`: `DB` holds only this many logical shards, the others share the rest evenly. */
  shardHome?: number
  /** The wrapper counts every request's and queue invocation's binding calls (`GET /__bench/totals`). */
  countAll?: boolean
}

const BUILD = path.join('bench', '.build', 'worker')

let built = false
/** Build the connector (wrangler's own build) and the wrapper entry, once per benchmark run. */
export async function buildBenchWorker(): Promise<void> {
  if (built) return
  execFileSync('node_modules/.bin/wrangler', ['deploy', '--dry-run', '--outdir', 'dist'], {
    stdio: 'ignore',
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: '1' },
  })
  await build({
    entryPoints: ['bench/worker/entry.ts'],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    conditions: ['workerd', 'worker'],
    external: ['./index.js', '*.wasm', 'node:*'],
    alias: { 'sql.js': 'sql.js/dist/sql-wasm-browser.js' },
    // sql.js takes a Worker global for a browser Web Worker and reads `self.location`, which workerd lacks;
    // it needs neither (the WebAssembly module is handed to it), so it is told it is in neither.
    define: { 'globalThis.WorkerGlobalScope': 'undefined' },
    outfile: path.join(BUILD, 'entry.mjs'),
    logLevel: 'warning',
  })
  built = true
}

async function migrationQueries(): Promise<string[]> {
  return (await readD1Migrations('migrations')).flatMap((m) => m.queries)
}

export async function startBenchWorker(options: BenchWorkerOptions): Promise<BenchWorker> {
  await buildBenchWorker()
  const before = new Set(findChildren(process.pid, 'workerd'))
  const { workerOptions } = unstable_getMiniflareWorkerOptions('wrangler.toml')
  const root = path.resolve(BUILD)
  const queries = await migrationQueries()
  // The simulators' state on tmpfs when there is one (as `wrangler dev` keeps it under .wrangler/state):
  // they write every KV value and D1 page to files, and on a shared disk that wait would be what is measured.
  const state = mkdtempSync(path.join(existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir(), 'bench-miniflare-'))
  const mf = new Miniflare({
    host: '127.0.0.1',
    port: 0,
    ...(options.inspectorPort ? { inspectorPort: options.inspectorPort } : {}),
    name: 'connector',
    // The Worker's log lines (one JSON line each) go to a file, not the benchmark's output.
    handleRuntimeStdio: (stdout: Readable, stderr: Readable) => {
      const log = createWriteStream(path.join(BUILD, `workerd-${options.storage}.log`))
      stdout.pipe(log)
      stderr.pipe(log)
    },
    compatibilityDate: workerOptions.compatibilityDate,
    compatibilityFlags: workerOptions.compatibilityFlags,
    d1Databases: workerOptions.d1Databases,
    d1Persist: path.join(state, 'd1'),
    kvPersist: path.join(state, 'kv'),
    kvNamespaces: workerOptions.kvNamespaces,
    ...(workerOptions.workflows && Object.keys(workerOptions.workflows).length
      ? { workflows: workerOptions.workflows }
      : {}),
    ...(options.queues
      ? {
          queueProducers: workerOptions.queueProducers,
          queueConsumers: workerOptions.queueConsumers,
          durableObjects: workerOptions.durableObjects,
          durableObjectsPersist: path.join(state, 'do'),
        }
      : {}),
    bindings: {
      ...(workerOptions.bindings as Record<string, string>),
      ...options.vars,
      BENCH_STORAGE: options.storage,
      BENCH_MIGRATIONS: options.storage === 'memory' ? JSON.stringify(queries) : '[]',
      BENCH_DB_GROUPS: JSON.stringify(options.groups ?? {}),
      BENCH_D1_QUERY_MS: String(options.queryMs ?? 0),
      BENCH_COUNT_ALL: options.countAll ? '1' : '0',
      BENCH_SHARDS: String(options.shards ?? 0),
      ...(options.shardHome === undefined ? {} : { BENCH_SHARD_HOME: String(options.shardHome) }),
    },
    modulesRoot: root,
    modules: [
      {
        type: 'ESModule',
        path: path.join(root, 'entry.mjs'),
        contents: readFileSync(path.join(BUILD, 'entry.mjs')),
      },
      {
        type: 'ESModule',
        path: path.join(root, 'index.js'),
        contents: readFileSync(options.bundle ?? 'dist/index.js'),
      },
      {
        type: 'CompiledWasm',
        path: path.join(root, 'sql-wasm.wasm'),
        contents: readFileSync('node_modules/sql.js/dist/sql-wasm-browser.wasm'),
      },
    ],
  })
  const url = (await mf.ready).toString().replace(/\/$/, '')
  if (options.storage === 'miniflare') {
    const db = await mf.getD1Database('DB')
    await db.batch(queries.map((q) => db.prepare(q)))
  }
  const pids = findChildren(process.pid, 'workerd').filter((p) => !before.has(p))
  return {
    url,
    storage: options.storage,
    cpuSeconds: () => cpuSecondsOf(pids),
    d1: () => mf.getD1Database('DB'),
    stop: async () => {
      await mf.dispose()
      rmSync(state, { recursive: true, force: true })
    },
  }
}

/** Minified and gzip size of the connector as `wrangler deploy` would upload it. */
export function bundleSize(): { minKiB: number; gzipKiB: number } {
  const out = execFileSync(
    'node_modules/.bin/wrangler',
    ['deploy', '--dry-run', '--minify', '--outdir', 'bench/.build/bundle'],
    { encoding: 'utf8', env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: '1' } },
  )
  const m = /Total Upload: ([\d.]+) KiB \/ gzip: ([\d.]+) KiB/.exec(out)
  return m ? { minKiB: Number(m[1]), gzipKiB: Number(m[2]) } : { minKiB: Number.NaN, gzipKiB: Number.NaN }
}
