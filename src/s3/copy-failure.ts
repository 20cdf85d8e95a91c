/** Which end of a copy failed: the CI360 presigned source, or the S3 target. */
export type FailureSide = 'source' | 's3'

/**
 * A failed step of a bulk copy. `retryable` says whether trying the same step again can help (network
 * errors, timeouts, 408, 429, 5xx); `status` and `code` carry the HTTP status and S3's error `Code`.
 * Messages never contain URLs: presigned URLs are credentials.
 */
export class CopyFailure extends Error {
  readonly side: FailureSide
  readonly retryable: boolean
  readonly status: number | undefined
  readonly code: string | undefined

  constructor(
    side: FailureSide,
    message: string,
    options: { retryable: boolean; status?: number; code?: string; cause?: unknown },
  ) {
    super(message, { cause: options.cause })
    this.name = 'CopyFailure'
    this.side = side
    this.retryable = options.retryable
    this.status = options.status
    this.code = options.code
  }
}

export interface Deadline {
  signal: AbortSignal
  /** True once the timer (not the parent) fired. */
  expired: () => boolean
  /** Stop the timer and detach from the parent. */
  clear: () => void
}

/** An AbortSignal that fires after `ms` (never when undefined) or when `parent` fires. */
export function deadline(ms: number | undefined, parent?: AbortSignal): Deadline {
  const controller = new AbortController()
  let expired = false
  const timer =
    ms === undefined
      ? undefined
      : setTimeout(() => {
          expired = true
          controller.abort(new Error(`timed out after ${ms} ms`))
        }, ms)
  const onParent = () => controller.abort(parent?.reason)
  if (parent?.aborted) onParent()
  else parent?.addEventListener('abort', onParent, { once: true })
  return {
    signal: controller.signal,
    expired: () => expired,
    clear: () => {
      if (timer !== undefined) clearTimeout(timer)
      parent?.removeEventListener('abort', onParent)
    },
  }
}
