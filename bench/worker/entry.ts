import { AsyncLocalStorage } from 'node:async_hooks'
import { BindingCounter, type CallCounts, countD1, countKV } from './counter'
// The built connector (dist/index.js) and SQLite's WebAssembly, provided as modules by the benchmark.
// @ts-expect-error resolved by the benchmark's Miniflare module list, not by TypeScript
import connector from './index.js'
import { MemoryD1 } from './memory-d1'
import { MemoryKV } from './memory-kv'
import sqlWasm from './sql-wasm.wasm'

// wrangler.toml binds the bulk-copy Workflow to this Worker's `BulkCopyWorkflow` class (and the campaign-burst
// part binds PACER to its `SenderPacer` Durable Object class): without the re-exports, workerd refuses to
// start the benchmark's Worker.
// @ts-expect-error resolved by the benchmark's Miniflare module list, not by TypeScript
export { BulkCopyWorkflow, SenderPacer } from './index.js'

/**
 * The benchmark's entry in front of the built connector. It changes nothing the connector does; it only
 * chooses the storage behind `env.DB` / `env.IDENTITY_CACHE` and counts calls to them:
 * - `BENCH_STORAGE=miniflare`: the local D1/KV simulators Miniflare provides, wrapped by the counter;
 * - `BENCH_STORAGE=memory`: in-memory stand-ins (sql.js running the real SQL, a Map for KV);
 * - `BENCH_DB_GROUPS` (memory only): `{"<tenant>": <group>}`, one database per group, chosen by the tenant
 *   in the path, each group its own env object (so the connector builds one app per group, as it would per
 *   isolate with a database binding map); `BENCH_D1_QUERY_MS` models each database's single thread.
 *
 * - `BENCH_SHARDS=K` (memory only): one env with K databases, `DB` and `DB_2` … `DB_K`, and a
 *   `d1_shard_map` spreading the 64 logical shards evenly over them (docs/scaling.md, "Shards"); each
 *   database but `DB` lists its shards in `shard_owner`; `BENCH_SHARD_HOME=n`: `DB` takes only the
 *   first n logical shards and the others share the rest. `GET /__bench/queries`: the queries each
 *   database has run (a batch counts one per statement).
 *
 * A request with `x-bench-probe: <id>` is counted; `GET /__bench/probe/<id>` returns its counts.
 * `BENCH_COUNT_ALL=1`: every other request is counted too, all into one running total, and so is every
 * queue consumer invocation (into another); `GET /__bench/totals` returns both, with the queue's batch
 * and message counts.
 */

interface BenchEnv {
  DB: D1Database
  IDENTITY_CACHE: KVNamespace
  BENCH_STORAGE?: string
  BENCH_MIGRATIONS?: string
  BENCH_DB_GROUPS?: string
  BENCH_D1_QUERY_MS?: string
  BENCH_COUNT_ALL?: string
  BENCH_SHARDS?: string
  BENCH_SHARD_HOME?: string
}

/** The in-memory databases of the sharded env, in binding order (`GET /__bench/queries`). */
const shardDbs: MemoryD1[] = []

interface Connector {
  fetch(request: Request, env: unknown, ctx: ExecutionContext): Promise<Response>
  queue?(batch: MessageBatch<unknown>, env: unknown, ctx: ExecutionContext): Promise<void>
}

/** Running totals when `BENCH_COUNT_ALL=1`: requests without a probe, and queue consumer invocations. */
const totals = {
  requests: new BindingCounter(),
  queue: new BindingCounter(),
  batches: 0,
  messages: 0,
}

const requestCounter = new AsyncLocalStorage<BindingCounter>()
const current = () => requestCounter.getStore()
const probes = new Map<string, BindingCounter>()

interface Prepared {
  envs: unknown[]
  groupOf: Record<string, number>
}
let prepared: Promise<Prepared> | undefined

async function prepare(env: BenchEnv): Promise<Prepared> {
  const groupOf = JSON.parse(env.BENCH_DB_GROUPS ?? '{}') as Record<string, number>
  const wrap = (db: D1Database, kv: KVNamespace) => ({
    ...env,
    DB: countD1(db, current),
    IDENTITY_CACHE: countKV(kv, current),
  })
  if (env.BENCH_STORAGE !== 'memory') return { envs: [wrap(env.DB, env.IDENTITY_CACHE)], groupOf }
  const migrations = JSON.parse(env.BENCH_MIGRATIONS ?? '[]') as string[]
  const shards = Number(env.BENCH_SHARDS ?? 0)
  if (shards > 0) return { envs: [await shardedEnv(env, migrations, shards, wrap)], groupOf }
  const groups = Math.max(1, ...Object.values(groupOf).map((g) => g + 1))
  const envs: unknown[] = []
  for (let g = 0; g < groups; g++) {
    const db = await MemoryD1.create(
      sqlWasm as WebAssembly.Module,
      migrations,
      Number(env.BENCH_D1_QUERY_MS ?? 0),
    )
    envs.push(wrap(db.asBinding(), new MemoryKV().asBinding()))
  }
  return { envs, groupOf }
}

/** One env over `k` in-memory databases, the 64 logical shards split evenly (`BENCH_SHARDS`). */
async function shardedEnv(
  env: BenchEnv,
  migrations: string[],
  k: number,
  wrap: (db: D1Database, kv: KVNamespace) => Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const kv = new MemoryKV().asBinding()
  const map: Record<string, string> = {}
  const out: Record<string, unknown> = {}
  const home = env.BENCH_SHARD_HOME ? Number(env.BENCH_SHARD_HOME) : undefined
  const bounds = (i: number): [number, number] => {
    if (home === undefined || k === 1) return [Math.floor((64 * i) / k), Math.floor((64 * (i + 1)) / k) - 1]
    if (i === 0) return [0, home - 1]
    const rest = 64 - home
    return [home + Math.floor((rest * (i - 1)) / (k - 1)), home + Math.floor((rest * i) / (k - 1)) - 1]
  }
  for (let i = 0; i < k; i++) {
    const name = i === 0 ? 'DB' : `DB_${i + 1}`
    const [from, to] = bounds(i)
    map[name] = `${from}-${to}`
    const db = await MemoryD1.create(
      sqlWasm as WebAssembly.Module,
      migrations,
      Number(env.BENCH_D1_QUERY_MS ?? 0),
    )
    shardDbs.push(db)
    if (i > 0) for (let s = from; s <= to; s++) db.db.exec(`INSERT INTO shard_owner (logical) VALUES (${s})`)
    const wrapped = wrap(db.asBinding(), kv)
    out[name] = wrapped.DB
    if (i === 0) Object.assign(out, wrapped)
  }
  return { ...out, d1_shard_map: JSON.stringify(map) }
}

const tenantOf = (path: string) => /^\/v1\/(?:tenants|webhooks\/(?:scg|twilio))\/([^/]+)/.exec(path)?.[1]

export default {
  async fetch(request: Request, env: BenchEnv, ctx: ExecutionContext): Promise<Response> {
    prepared ??= prepare(env)
    const { envs, groupOf } = await prepared
    const path = new URL(request.url).pathname
    if (path.startsWith('/__bench/probe/')) {
      const counter = probes.get(path.slice('/__bench/probe/'.length))
      if (!counter) return new Response('unknown probe', { status: 404 })
      const body: { beforeReply: CallCounts; afterReply: CallCounts } = counter
      return Response.json({ beforeReply: body.beforeReply, afterReply: body.afterReply })
    }
    if (path === '/__bench/queries') return Response.json(shardDbs.map((d) => d.booked))
    if (path === '/__bench/totals') {
      return Response.json({
        requests: { beforeReply: totals.requests.beforeReply, afterReply: totals.requests.afterReply },
        queue: totals.queue.beforeReply,
        batches: totals.batches,
        messages: totals.messages,
      })
    }
    const tenant = tenantOf(path)
    const target = envs[(tenant && groupOf[tenant]) || 0] ?? envs[0]
    const probe = request.headers.get('x-bench-probe')
    if (!probe) {
      if (env.BENCH_COUNT_ALL !== '1') return (connector as Connector).fetch(request, target, ctx)
      return requestCounter.run(totals.requests, () => (connector as Connector).fetch(request, target, ctx))
    }
    const counter = new BindingCounter()
    probes.set(probe, counter)
    const response = await requestCounter.run(counter, () =>
      (connector as Connector).fetch(request, target, ctx),
    )
    counter.markReplied()
    return response
  },

  async queue(batch: MessageBatch<unknown>, env: BenchEnv, ctx: ExecutionContext): Promise<void> {
    prepared ??= prepare(env)
    const { envs } = await prepared
    const handler = (connector as Connector).queue
    if (!handler) throw new Error('the connector has no queue handler')
    totals.batches++
    totals.messages += batch.messages.length
    if (env.BENCH_COUNT_ALL !== '1') return handler(batch, envs[0], ctx)
    return requestCounter.run(totals.queue, () => handler(batch, envs[0], ctx))
  },
}
