import type { Config } from './config/env'
import type { FetchFn } from './lib/http'
import type { Logger } from './lib/log'
import type { InboundRecording } from './webhooks/recording'

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
  /** The webhook delivery being handled, recorded for the operator console (src/webhooks/recording.ts). */
  inbound?: InboundRecording
}
