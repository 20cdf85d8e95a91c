import type { ProviderId } from './types'

/** The upstream services we call: the messaging providers and the CI360 events gateway. */
export type Upstream = ProviderId | 'ci360'

export type ProviderErrorKind = 'rejected' | 'unavailable' | 'timeout' | 'bad_response' | 'auth'

/**
 * A provider call that did not succeed. `retryable` follows DESIGN §2.1: timeouts, network errors,
 * 408, 429 and 5xx are retried later; other 4xx are not.
 */
export class ProviderError extends Error {
  readonly provider: Upstream
  readonly kind: ProviderErrorKind
  readonly status: number | undefined
  /** The provider's own error code (`4001`, `SCG_ERROR_4046`, `21211`), when it sent one. */
  readonly providerCode: string | undefined
  readonly retryable: boolean
  /** From a `Retry-After` header, in ms from the time of the call. */
  readonly retryAfterMs: number | undefined

  constructor(init: {
    provider: Upstream
    kind: ProviderErrorKind
    message: string
    status?: number
    providerCode?: string
    retryable: boolean
    retryAfterMs?: number
    cause?: unknown
  }) {
    super(init.message, { cause: init.cause })
    this.name = 'ProviderError'
    this.provider = init.provider
    this.kind = init.kind
    this.status = init.status
    this.providerCode = init.providerCode
    this.retryable = init.retryable
    this.retryAfterMs = init.retryAfterMs
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

/** DESIGN §2.1: which HTTP statuses are worth another attempt. */
export const isRetryableStatus = (status: number): boolean =>
  status === 408 || status === 429 || status >= 500
