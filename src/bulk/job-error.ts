import { AppError } from '../lib/app-error'
import { CopyFailure } from '../s3/copy-failure'
import type { JobError } from './params'
import type { BulkFile } from './request'
import { REDIRECT_REFUSED } from './source-policy'

/** A bulk job that cannot go on; carries what the job row and `bulk_failed_event` will say. */
export class JobFailure extends Error {
  readonly error: JobError
  constructor(error: JobError) {
    super(error.message)
    this.name = 'JobFailure'
    this.error = error
  }
}

/** Our vocabulary for a failed copy step, as the synchronous route words it (docs/bulk-s3.md). */
export function jobErrorOf(failure: CopyFailure, field: BulkFile['field']): JobError {
  if (failure.code === REDIRECT_REFUSED) {
    return { code: 'VALIDATION_FAILED', message: `presignedUrls.${field}: ${failure.message}` }
  }
  if (failure.side === 'source') {
    return { code: 'SOURCE_UNAVAILABLE', message: `Could not read ${field}: ${failure.message}.` }
  }
  return { code: 'S3_UPLOAD_FAILED', message: `Could not upload ${field} to S3: ${failure.message}.` }
}

/** Whatever ended a job, as a `JobError` (unknown errors are named, never described further). */
export function describeJobEnd(e: unknown): JobError {
  if (e instanceof JobFailure) return e.error
  if (e instanceof CopyFailure) return jobErrorOf(e, 'dataFile')
  if (e instanceof AppError && e.code === 'CONFIG_INVALID') return { code: e.code, message: e.message }
  return { code: 'INTERNAL', message: 'The copy stopped on an unexpected error; see the Worker log.' }
}
