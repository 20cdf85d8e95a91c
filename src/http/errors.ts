import type { Context } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { AppError, type ErrorCode, StorageError } from '../lib/app-error'
import { createLogger, describeError } from '../lib/log'
import type { AppEnv } from './app-env'

/** The one error body shape. */
export function errorBody(
  code: ErrorCode,
  message: string,
  requestId: string,
  details?: Record<string, unknown>,
) {
  return { status: 'ERROR' as const, error: { code, message, ...details }, request_id: requestId }
}

/** `app.onError`: typed errors keep their code; anything else is logged once and answered with a bland 500. */
export function renderError(e: Error, c: Context<AppEnv>): Response {
  const requestId = c.get('requestId') ?? crypto.randomUUID()
  const log = c.get('log') ?? createLogger()
  if (e instanceof AppError) {
    if (e.httpStatus >= 500) log.error('request failed', { code: e.code, ...describeError(e.cause ?? e) })
    return c.json(errorBody(e.code, e.message, requestId, e.details), e.httpStatus, e.headers)
  }
  if (e instanceof StorageError) {
    log.error('storage unavailable', describeError(e.cause))
    return c.json(
      errorBody('STORAGE_UNAVAILABLE', 'Storage is unavailable; redeliver the request later.', requestId),
      503,
    )
  }
  if (e instanceof HTTPException) {
    const status = e.status as ContentfulStatusCode
    const code: ErrorCode =
      status === 413 ? 'BODY_TOO_LARGE' : status === 401 ? 'UNAUTHORIZED' : 'VALIDATION_FAILED'
    return c.json(errorBody(code, e.message || 'Bad request.', requestId), status)
  }
  log.error('unhandled error', describeError(e))
  return c.json(
    errorBody('INTERNAL', 'Internal error; the request id is in the operator log.', requestId),
    500,
  )
}
