import type { ContentfulStatusCode } from 'hono/utils/http-status'

/** The closed set of `error.code` values this Worker answers with (DESIGN §2). */
export type ErrorCode =
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'INVALID_JSON'
  | 'INVALID_XML'
  | 'VALIDATION_FAILED'
  | 'INVALID_CREATIVE'
  | 'BODY_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'IN_PROGRESS'
  | 'PROVIDER_REJECTED'
  | 'PROVIDER_UNAVAILABLE'
  | 'SOURCE_UNAVAILABLE'
  | 'S3_UPLOAD_FAILED'
  | 'STORAGE_UNAVAILABLE'
  | 'CONFIG_INVALID'
  | 'INTERNAL'

/** Extra, non-secret fields rendered next to `code` and `message` in the error object. */
export type ErrorDetails = Record<string, string | number | boolean | null | string[]>

/**
 * A request-level failure with a stable code. Thrown from handlers and capability modules and rendered
 * once by `app.onError` as `{status:"ERROR", error:{code, message, ...details}, request_id}`.
 */
export class AppError extends Error {
  readonly code: ErrorCode
  readonly httpStatus: ContentfulStatusCode
  readonly details: ErrorDetails | undefined
  readonly headers: Record<string, string> | undefined

  constructor(
    code: ErrorCode,
    httpStatus: ContentfulStatusCode,
    message: string,
    options: { cause?: unknown; details?: ErrorDetails; headers?: Record<string, string> } = {},
  ) {
    super(message, { cause: options.cause })
    this.name = 'AppError'
    this.code = code
    this.httpStatus = httpStatus
    this.details = options.details
    this.headers = options.headers
  }
}

export const isAppError = (e: unknown): e is AppError => e instanceof AppError

/** D1 (or KV, when it is load-bearing) failed: the caller should redeliver. */
export class StorageError extends Error {
  constructor(operation: string, cause: unknown) {
    super(`storage operation failed: ${operation}`, { cause })
    this.name = 'StorageError'
  }
}

export const storageUnavailable = (cause: unknown): AppError =>
  new AppError('STORAGE_UNAVAILABLE', 503, 'Storage is unavailable; redeliver the request later.', { cause })

/** Run a storage step; a D1 failure (`StorageError`) becomes 503 STORAGE_UNAVAILABLE so the caller redelivers. */
export async function guard<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (e) {
    if (e instanceof StorageError) throw storageUnavailable(e)
    throw e
  }
}
