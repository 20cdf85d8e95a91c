import type { ContentfulStatusCode } from 'hono/utils/http-status'

/**
 * The closed set of `error.code` values this Worker answers with, each with the one HTTP status it
 * implies (docs/architecture.md, "Errors"). The OpenAPI document and the README table come from here.
 */
export const ERROR_CODES = {
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  INVALID_JSON: 400,
  INVALID_XML: 400,
  VALIDATION_FAILED: 400,
  INVALID_CREATIVE: 400,
  BODY_TOO_LARGE: 413,
  IN_PROGRESS: 409,
  PROVIDER_REJECTED: 422,
  PROVIDER_UNAVAILABLE: 502,
  SOURCE_UNAVAILABLE: 502,
  S3_UPLOAD_FAILED: 502,
  STORAGE_UNAVAILABLE: 503,
  CONFIG_INVALID: 500,
  INTERNAL: 500,
} as const satisfies Record<string, ContentfulStatusCode>

export type ErrorCode = keyof typeof ERROR_CODES

export const ERROR_CODE_LIST = Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]]

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
    message: string,
    options: { cause?: unknown; details?: ErrorDetails; headers?: Record<string, string> } = {},
  ) {
    super(message, { cause: options.cause })
    this.name = 'AppError'
    this.code = code
    this.httpStatus = ERROR_CODES[code]
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
  new AppError('STORAGE_UNAVAILABLE', 'Storage is unavailable; redeliver the request later.', { cause })

/** Run a storage step; a D1 failure (`StorageError`) becomes 503 STORAGE_UNAVAILABLE so the caller redelivers. */
export async function guard<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (e) {
    if (e instanceof StorageError) throw storageUnavailable(e)
    throw e
  }
}
