import { StorageError } from '../lib/app-error'
import type { BulkJobState } from '../lib/vocabulary'
import { d1Call } from './d1-call'

/** One `bulk_jobs` row (migrations/0002_bulk_jobs.sql). */
export interface BulkJobRow {
  job_id: string
  tenant_id: string
  dedupe_key: string
  response_tracking_code: string | null
  state: BulkJobState
  upload_filename: string
  bucket_name: string
  bytes: number | null
  parts: number | null
  upload_id: string | null
  upload_key: string | null
  error_code: string | null
  error_message: string | null
  created_at: number
  updated_at: number
}

export interface NewBulkJob {
  jobId: string
  tenantId: string
  dedupeKey: string
  responseTrackingCode: string | null
  uploadFilename: string
  bucketName: string
  now: number
}

export type BulkJobEnd =
  | { state: 'done'; bytes: number; parts: number }
  | { state: 'failed'; code: string; message: string }

/** One D1 call through `d1Call` (transient failures retried; docs/storage.md), named `bulk_jobs.<op>`. */
const d1 = <T>(operation: string, fn: () => Promise<T>): Promise<T> => d1Call(`bulk_jobs.${operation}`, fn)

/** The bulk job table. Every method throws `StorageError` when D1 fails. */
export function createBulkJobStore(db: D1Database) {
  const update = (operation: string, sql: string, ...params: unknown[]) =>
    d1(operation, () =>
      db
        .prepare(`UPDATE bulk_jobs SET ${sql} WHERE job_id = ?`)
        .bind(...params)
        .run(),
    )

  return {
    /**
     * Insert a queued job unless (tenant, dedupe key) is taken. Returns the row that holds the key:
     * the new one (`created: true`) or the first delivery's.
     */
    async claim(job: NewBulkJob): Promise<{ created: boolean; row: BulkJobRow }> {
      const inserted = await d1('claim', () =>
        db
          .prepare(
            `INSERT INTO bulk_jobs (job_id, tenant_id, dedupe_key, response_tracking_code, state,
               upload_filename, bucket_name, created_at, updated_at)
             VALUES (?, ?, ?, ?, 'queued', ?, ?, ?, ?)
             ON CONFLICT (tenant_id, dedupe_key) DO NOTHING`,
          )
          .bind(
            job.jobId,
            job.tenantId,
            job.dedupeKey,
            job.responseTrackingCode,
            job.uploadFilename,
            job.bucketName,
            job.now,
            job.now,
          )
          .run(),
      )
      const row = await d1('claim.read', () =>
        db
          .prepare('SELECT * FROM bulk_jobs WHERE tenant_id = ? AND dedupe_key = ?')
          .bind(job.tenantId, job.dedupeKey)
          .first<BulkJobRow>(),
      )
      if (!row) throw new StorageError('bulk_jobs.claim', new Error('row missing after insert'))
      // The row holding the key is ours when it carries our fresh job id: that also covers an insert
      // that was applied although its first attempt reported a transient failure and was retried.
      return { created: inserted.meta.changes === 1 || row.job_id === job.jobId, row }
    },

    get: (tenantId: string, jobId: string) =>
      d1('get', () =>
        db
          .prepare('SELECT * FROM bulk_jobs WHERE tenant_id = ? AND job_id = ?')
          .bind(tenantId, jobId)
          .first<BulkJobRow>(),
      ),

    /** Forget a job whose Workflow could not be started, so CI360's redelivery starts it again. */
    remove: (jobId: string) =>
      d1('remove', () => db.prepare('DELETE FROM bulk_jobs WHERE job_id = ?').bind(jobId).run()),

    /** `queued` → `running` (a no-op once the job has ended). */
    markRunning: (jobId: string, now: number) =>
      update(
        'markRunning',
        "state = CASE state WHEN 'queued' THEN 'running' ELSE state END, updated_at = ?",
        now,
        jobId,
      ),

    /** Remember a multipart upload before its first part, so a lost instance can be cleaned up. */
    setUpload: (jobId: string, key: string, uploadId: string, now: number) =>
      update('setUpload', 'upload_key = ?, upload_id = ?, updated_at = ?', key, uploadId, now, jobId),

    clearUpload: (jobId: string, now: number) =>
      update('clearUpload', 'upload_key = NULL, upload_id = NULL, updated_at = ?', now, jobId),

    /** A sign of life while parts are copied (the cron judges stuck jobs by `updated_at`). */
    touch: (jobId: string, now: number) => update('touch', 'updated_at = ?', now, jobId),

    finish: (jobId: string, end: BulkJobEnd, now: number) =>
      end.state === 'done'
        ? update(
            'finish',
            "state = 'done', bytes = ?, parts = ?, error_code = NULL, error_message = NULL, updated_at = ?",
            end.bytes,
            end.parts,
            now,
            jobId,
          )
        : update(
            'finish',
            "state = 'failed', error_code = ?, error_message = ?, updated_at = ?",
            end.code,
            end.message.slice(0, 500),
            now,
            jobId,
          ),

    /** Jobs not ended whose last sign of life is older than `before` (oldest first). */
    listQuiet: async (before: number, limit: number): Promise<BulkJobRow[]> =>
      (
        await d1('listQuiet', () =>
          db
            .prepare(
              `SELECT * FROM bulk_jobs WHERE state IN ('queued', 'running') AND updated_at < ?
               ORDER BY updated_at LIMIT ?`,
            )
            .bind(before, limit)
            .all<BulkJobRow>(),
        )
      ).results,
  }
}

export type BulkJobStore = ReturnType<typeof createBulkJobStore>
