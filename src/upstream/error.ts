import type { ProviderId } from '../lib/vocabulary'

/** The services this Worker calls with `callUpstream`: the messaging providers and CI360's gateway. */
export type UpstreamId = ProviderId | 'ci360' | 'genesys'

/** `refused`: the connection could not be made, so the request never left (docs/guarantees.md). */
export type UpstreamErrorKind = 'rejected' | 'unavailable' | 'timeout' | 'bad_response' | 'auth' | 'refused'

/**
 * A call to an upstream service that did not succeed. `retryable`: timeouts, network errors, 408, 429
 * and 5xx are tried again later; other 4xx are not (each upstream may narrow or widen that rule, see
 * docs/protocols.md).
 */
export class UpstreamError extends Error {
  readonly upstream: UpstreamId
  readonly kind: UpstreamErrorKind
  readonly status: number | undefined
  /** The vendor's own error code (`4001`, `SCG_ERROR_4046`, `21211`), when it sent one. */
  readonly providerCode: string | undefined
  readonly retryable: boolean
  /** From a `Retry-After` header, in ms from the time of the call. */
  readonly retryAfterMs: number | undefined
  /**
   * True when the request may have reached the upstream and been acted on although we saw no answer
   * (a timeout or a connection lost): the provider is asked before the message is sent again.
   */
  readonly ambiguous: boolean

  constructor(init: {
    upstream: UpstreamId
    kind: UpstreamErrorKind
    message: string
    status?: number
    providerCode?: string
    retryable: boolean
    retryAfterMs?: number
    ambiguous?: boolean
    cause?: unknown
  }) {
    super(init.message, { cause: init.cause })
    this.name = 'UpstreamError'
    this.upstream = init.upstream
    this.kind = init.kind
    this.status = init.status
    this.providerCode = init.providerCode
    this.retryable = init.retryable
    this.retryAfterMs = init.retryAfterMs
    this.ambiguous = init.ambiguous ?? false
  }

  /** A short, secret-free summary for storage and logs. */
  summary(): string {
    const parts = [
      this.kind,
      this.status !== undefined ? `HTTP ${this.status}` : undefined,
      this.providerCode,
    ]
    return `${parts.filter(Boolean).join(' ')}: ${this.message}`.slice(0, 500)
  }
}

/** Which HTTP statuses are worth another attempt, for every upstream unless it says otherwise. */
export const isRetryableStatus = (status: number): boolean =>
  status === 408 || status === 429 || status >= 500
