import type { BulkJobParams } from './bulk/params'
import type { Config } from './config/env'
import type { FetchFn } from './lib/http'
import { createLogger, type Logger, type LogLevel } from './lib/log'

/** Everything a capability needs from the outside world; tests build their own. */
export interface Deps {
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
  /** The Workflow that runs bulk copies (`bulk_mode=async`); absent in `bulk_mode=sync`-only setups. */
  bulkCopy?: Workflow<BulkJobParams>
}

/** The production deps of one isolate: real bindings, clock and fetch. */
export function createDeps(env: Env, config: Config): Deps {
  return {
    config,
    db: env.DB,
    kv: env.IDENTITY_CACHE,
    fetch: (input, init) => fetch(input, init),
    now: () => Date.now(),
    random: Math.random,
    log: createLogger(config.settings.log_level as LogLevel),
    bulkCopy: env.BULK_COPY,
  }
}
