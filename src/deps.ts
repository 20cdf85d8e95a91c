import type { ProviderBreaker } from './breaker/provider-breaker'
import { type Ci360Client, ci360ConfigOf, createCi360Client } from './ci360/client'
import { type Config, loadConfig } from './config/env'
import { HOME_BINDING, parseShardMap } from './config/shards'
import type { TenantConfig } from './config/tenant'
import type { FetchFn } from './lib/http'
import { createLogger, type Logger, type LogLevel } from './lib/log'
import type { ProviderId } from './lib/vocabulary'
import type { SenderPacer } from './pacer/sender-pacer'
import { createProvider } from './providers/registry'
import type { MessageProvider } from './providers/types'
import { createBulkJobStore } from './storage/bulk-jobs'
import { createContactPreferenceUploadStore } from './storage/contact-preference-uploads'
import { createIdentityCache, type IdentityCache } from './storage/identity-cache'
import type { QueuedSend } from './storage/queued-send'
import { shardedStores } from './storage/sharded'
import { createShardRouter, markingHome, type ShardRouter, singleShard } from './storage/shards'
import { createSuppressionStore } from './storage/suppressions'
import { createWebhookEventStore } from './storage/webhook-events'
import { probeReach, type ReachProbe } from './upstream/probe'

/** The outside world: bindings, parsed config, clock, randomness and `fetch`. Tests build their own. */
export interface Runtime {
  config: Config
  /** The default database (`DB`): the cold tables, and the hot ones' shards it owns (docs/scaling.md). */
  db: D1Database
  /** The hot tables' databases by key (docs/scaling.md, "Shards"); absent: everything on `db`. */
  shards?: ShardRouter
  kv: KVNamespace
  fetch: FetchFn
  /** Milliseconds since the epoch; injected so retries and staleness can be tested without sleeping. */
  now: () => number
  /** [0, 1); injected for deterministic backoff jitter in tests. */
  random: () => number
  log: Logger
  /** Wait between retries inside one request (bulk parts); tests inject one that does not sleep. */
  sleep?: (ms: number) => Promise<void>
  /**
   * The Workflow that runs bulk copies (`bulk_mode=async`, docs/bulk-s3.md), started with
   * `BulkJobParams` of `bulk/params.ts`; absent where only `bulk_mode=sync` is used.
   */
  bulkCopy?: Workflow
  /** Tells a refused connection from a dropped one after a transport error (`upstream/probe.ts`). */
  probe?: ReachProbe
  /** The queue of paced sends (`send_mode: queued`, docs/pacing.md); absent where only `sync` is used. */
  sends?: Queue<QueuedSend>
  /** One breaker per (tenant, provider) (docs/guarantees.md, "Failover"); absent: every route is allowed. */
  breakers?: DurableObjectNamespace<ProviderBreaker>
  /** One pacer per (tenant, provider, sender) (docs/pacing.md); absent where only `sync` is used. */
  pacers?: DurableObjectNamespace<SenderPacer>
  /** The request's `waitUntil`: work the reply does not wait for. Absent (cron, tests): it is awaited. */
  waitUntil?: (work: Promise<unknown>) => void
}

/** The production runtime of one isolate (fetch handler, cron or Workflow): real bindings, clock, fetch. */
export function runtimeOf(env: Env, config: Config, shards?: ShardRouter): Runtime {
  return {
    config,
    db: env.DB,
    ...(shards ? { shards } : {}),
    kv: env.IDENTITY_CACHE,
    fetch: (input, init) => fetch(input, init),
    now: () => Date.now(),
    random: Math.random,
    log: createLogger(config.settings.log_level as LogLevel),
    bulkCopy: env.BULK_COPY,
    probe: probeReach,
    sends: env.SENDS as Queue<QueuedSend>,
    pacers: env.PACER as unknown as DurableObjectNamespace<SenderPacer>,
    breakers: env.BREAKER as unknown as DurableObjectNamespace<ProviderBreaker>,
  }
}

/** Stores and clients, built once per isolate (clients once per tenant) by `createDeps`. */
/** The stores that stay on the default database `DB` (docs/scaling.md): not sharded. */
interface HomeStores {
  bulkJobs: ReturnType<typeof createBulkJobStore>
  contactPreferenceUploads: ReturnType<typeof createContactPreferenceUploadStore>
  /** The KV identity cache with a tenant's `cache_ttl`; its warnings go to `log` (the caller's). */
  identities(ttlSeconds: number, log: Logger): IdentityCache
  suppressions: ReturnType<typeof createSuppressionStore>
}

/**
 * Every store. The hot ones (deliveries, failed requests and leases, webhook claims, stored events,
 * stuck claims) address by key the database of the deps' shard (`withShard`); their readers across rows
 * (search, stats, lists, cron scans, sender queues, retention) ask every database.
 */
export type Stores = HomeStores & ReturnType<typeof shardedStores>

export interface Deps extends Runtime {
  shards: ShardRouter
  stores: Stores
  /** The tenant's CI360 events client; throws `CONFIG_INVALID` naming what the tenant lacks. */
  ci360(tenant: TenantConfig): Ci360Client
  /** The tenant's messaging provider; throws `CONFIG_INVALID` naming what the tenant lacks. */
  provider(id: ProviderId, tenant: TenantConfig, origin: string | undefined): MessageProvider
}

/**
 * Run `work` after the reply when the request has a `waitUntil`, else now. `work` must not throw (it
 * logs its own failures): nothing is left to answer once the reply has gone.
 */
export async function afterReply(deps: Pick<Runtime, 'waitUntil'>, work: () => Promise<void>): Promise<void> {
  // Started on a timer, not at once: the reply goes out first, and this work's calls follow it.
  if (deps.waitUntil) deps.waitUntil(new Promise((r) => setTimeout(r, 0)).then(work))
  else await work()
}

/** What a handler works with: the deps, with the log of the request it serves. */
export type RequestContext = Deps

/** Build the deps once; per-tenant clients are built on first use and kept with the tenant config. */
export function createDeps(runtime: Runtime): Deps {
  const ci360Clients = new WeakMap<TenantConfig, Ci360Client>()
  const providers = new WeakMap<TenantConfig, Map<string, MessageProvider>>()
  const shards =
    runtime.shards && runtime.shards.home === runtime.db ? runtime.shards : singleShard(runtime.db)
  const deps: Deps = {
    ...runtime,
    shards,
    stores: {
      bulkJobs: createBulkJobStore(runtime.db),
      contactPreferenceUploads: createContactPreferenceUploadStore(runtime.db),
      identities: (ttlSeconds, log) => createIdentityCache(runtime.kv, ttlSeconds, log),
      suppressions: createSuppressionStore(shards.count > 1 ? markingHome(runtime.db) : runtime.db),
      ...shardedStores(shards, { db: runtime.db, home: true }),
    },
    ci360(tenant) {
      let client = ci360Clients.get(tenant)
      if (!client) {
        client = createCi360Client(ci360ConfigOf(tenant), runtime)
        ci360Clients.set(tenant, client)
      }
      return client
    },
    provider(id, tenant, origin) {
      const byKey = providers.get(tenant) ?? new Map<string, MessageProvider>()
      providers.set(tenant, byKey)
      const key = `${id}\u0000${origin ?? ''}`
      let provider = byKey.get(key)
      if (!provider) {
        provider = createProvider(id, tenant, runtime, origin)
        byKey.set(key, provider)
      }
      return provider
    },
  }
  return deps
}

/**
 * The deps of a request routed by `key` (a send's guid, a webhook's routing key; docs/scaling.md): the
 * hot stores address the database of the key's logical shard. With one database: `deps` as they are.
 */
export function withShard<D extends Pick<Deps, 'shards' | 'stores'>>(deps: D, key: string): D {
  const place = deps.shards.placeFor(key)
  if (deps.shards.count === 1 && place.db === deps.shards.home) {
    // One database: only the webhook claim needs the key (its shard's ownership check).
    return {
      ...deps,
      stores: { ...deps.stores, webhookEvents: createWebhookEventStore(place.db, place.db, key) },
    }
  }
  return { ...deps, stores: { ...deps.stores, ...shardedStores(deps.shards, place, key) } }
}

/** The deps of work on a row a reader across shards returned: its hot stores on the row's database. */
export function withRowShard<D extends Pick<Deps, 'shards' | 'stores'>>(
  deps: D,
  row: object,
  key: string,
): D {
  const db = deps.shards.originOf(row)
  if (!db || deps.shards.count === 1) return deps
  const place = deps.shards.all().find((p) => p.db === db) ?? { db, home: false }
  return { ...deps, stores: { ...deps.stores, ...shardedStores(deps.shards, place, key) } }
}

/** The shard router of an env's bindings and `d1_shard_map`, or the var's issues. */
export function shardsOf(env: Env): { ok: true; shards: ShardRouter } | { ok: false; issues: string[] } {
  const bindings = env as unknown as Record<string, unknown>
  const isD1 = (name: string) => {
    const b = bindings[name] as { prepare?: unknown; batch?: unknown } | undefined
    return typeof b?.prepare === 'function' && typeof b.batch === 'function'
  }
  const map = parseShardMap(bindings.d1_shard_map, isD1)
  if (!map.ok) return map
  const resolve = (name: string) => (name === HOME_BINDING ? env.DB : (bindings[name] as D1Database))
  return { ok: true, shards: createShardRouter(env.DB, map.bindings, resolve) }
}

/** The deps of an env, or why its configuration is invalid (issue paths, never values). */
export type DepsOrIssues = { ok: true; deps: Deps } | { ok: false; issues: string[] }

/**
 * The one composition of every entry point (the Worker's fetch and cron, the bulk Workflow, tests):
 * parse the env's configuration, then build the deps on its bindings. `overrides` replace parts of the
 * runtime (tests: clock, randomness, storage, fetch, log).
 */
export function depsFor(env: Env, overrides: Partial<Runtime> = {}): DepsOrIssues {
  const loaded = loadConfig(env as unknown as Record<string, unknown>)
  if (!loaded.ok) return { ok: false, issues: loaded.issues }
  const sharded = shardsOf(env)
  if (!sharded.ok) return { ok: false, issues: sharded.issues }
  return { ok: true, deps: createDeps({ ...runtimeOf(env, loaded.config, sharded.shards), ...overrides }) }
}
