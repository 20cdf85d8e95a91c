import type { ProviderBreaker } from './breaker/provider-breaker'
import { type Ci360Client, ci360ConfigOf, createCi360Client } from './ci360/client'
import { type Config, loadConfig } from './config/env'
import type { TenantConfig } from './config/tenant'
import type { FetchFn } from './lib/http'
import { createLogger, type Logger, type LogLevel } from './lib/log'
import type { ProviderId } from './lib/vocabulary'
import type { SenderPacer } from './pacer/sender-pacer'
import { createProvider } from './providers/registry'
import type { MessageProvider } from './providers/types'
import { createBulkJobStore } from './storage/bulk-jobs'
import { createContactPreferenceUploadStore } from './storage/contact-preference-uploads'
import { createDeliveryStore } from './storage/deliveries'
import { createLeaseStore } from './storage/failed-request-leases'
import { createFailedRequestStore } from './storage/failed-requests'
import { createIdentityCache, type IdentityCache } from './storage/identity-cache'
import { createInboundEventStore } from './storage/inbound-events'
import { createMessageSearch } from './storage/message-search'
import { createProviderHealthReader } from './storage/provider-health'
import type { QueuedSend } from './storage/queued-send'
import { createRetentionStore } from './storage/retention'
import { createSenderQueueReader } from './storage/sender-queues'
import { createStatsReader } from './storage/stats'
import { createStuckClaimStore } from './storage/stuck-claims'
import { createSuppressionStore } from './storage/suppressions'
import { createWebhookEventStore } from './storage/webhook-events'
import { probeReach, type ReachProbe } from './upstream/probe'

/** The outside world: bindings, parsed config, clock, randomness and `fetch`. Tests build their own. */
export interface Runtime {
  config: Config
  db: D1Database
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
export function runtimeOf(env: Env, config: Config): Runtime {
  return {
    config,
    db: env.DB,
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
export interface Deps extends Runtime {
  stores: {
    bulkJobs: ReturnType<typeof createBulkJobStore>
    contactPreferenceUploads: ReturnType<typeof createContactPreferenceUploadStore>
    deliveries: ReturnType<typeof createDeliveryStore>
    failedRequests: ReturnType<typeof createFailedRequestStore>
    leases: ReturnType<typeof createLeaseStore>
    webhookEvents: ReturnType<typeof createWebhookEventStore>
    inboundEvents: ReturnType<typeof createInboundEventStore>
    /** The KV identity cache with a tenant's `cache_ttl`; its warnings go to `log` (the caller's). */
    identities(ttlSeconds: number, log: Logger): IdentityCache
    stuckClaims: ReturnType<typeof createStuckClaimStore>
    search: ReturnType<typeof createMessageSearch>
    stats: ReturnType<typeof createStatsReader>
    retention: ReturnType<typeof createRetentionStore>
    suppressions: ReturnType<typeof createSuppressionStore>
    /** Accepted (queued) rows per provider and sender: the console's Senders view. */
    senderQueues: ReturnType<typeof createSenderQueueReader>
    /** Sends, receipts and receipt delays per provider: the dashboard's provider table. */
    providerHealth: ReturnType<typeof createProviderHealthReader>
  }
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
  const deps: Deps = {
    ...runtime,
    stores: {
      bulkJobs: createBulkJobStore(runtime.db),
      contactPreferenceUploads: createContactPreferenceUploadStore(runtime.db),
      deliveries: createDeliveryStore(runtime.db),
      failedRequests: createFailedRequestStore(runtime.db),
      leases: createLeaseStore(runtime.db),
      webhookEvents: createWebhookEventStore(runtime.db),
      inboundEvents: createInboundEventStore(runtime.db),
      identities: (ttlSeconds, log) => createIdentityCache(runtime.kv, ttlSeconds, log),
      stuckClaims: createStuckClaimStore(runtime.db),
      search: createMessageSearch(runtime.db),
      stats: createStatsReader(runtime.db),
      retention: createRetentionStore(runtime.db),
      suppressions: createSuppressionStore(runtime.db),
      senderQueues: createSenderQueueReader(runtime.db),
      providerHealth: createProviderHealthReader(runtime.db),
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
  return { ok: true, deps: createDeps({ ...runtimeOf(env, loaded.config), ...overrides }) }
}
