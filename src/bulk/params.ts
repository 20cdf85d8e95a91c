import type { BulkFile } from './request'

/**
 * What a `BULK_COPY` instance is started with (kept by the Workflow engine as the instance's input).
 * No credentials: the instance reads the tenant's S3 and CI360 secrets from its own env. The presigned
 * URLs are in here because the copy needs them; they expire on CI360's schedule.
 */
export interface BulkJobParams {
  jobId: string
  tenantId: string
  /** The data file first, then the metadata file when `s3_metadata_filename` asked for it. */
  files: BulkFile[]
  responseTrackingCode: string | null
}

/** How a job failed, as stored on the job and sent in `bulk_failed_event`. */
export interface JobError {
  code: 'SOURCE_UNAVAILABLE' | 'S3_UPLOAD_FAILED' | 'VALIDATION_FAILED' | 'CONFIG_INVALID' | 'INTERNAL'
  message: string
}
