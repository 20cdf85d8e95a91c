import type { UpstreamId } from './error'

/** One call to an upstream made while handling a delivery (for logs and the operator's event viewer). */
export interface UpstreamAttempt {
  upstream: UpstreamId
  at: number
  ok: boolean
  http_status: number | null
  latency_ms: number
  error: string | null
}
