import { d1Call } from './d1-call'

/** One tenant's upload schedule (`contact_preference_uploads`, docs/storage.md). */
export interface ContactPreferenceUploadRow {
  tenant_id: string
  next_run_at: number
  failures: number
  last_success_at: number | null
  last_failure_at: number | null
  last_error: string | null
  last_job_id: string | null
  last_rows: number | null
  updated_at: number
}

/**
 * When each tenant's CI360 contact-preference upload is due (docs/compliance.md). A run claims the tenant
 * by moving `next_run_at` ahead by its lease, so two overlapping cron runs never upload the same rows
 * twice; it then sets the real next time. Methods throw `StorageError` when D1 fails.
 */
export function createContactPreferenceUploadStore(db: D1Database) {
  return {
    /**
     * Claim the tenant's run when it is due (or has never run): one statement. Returns the failures in
     * a row so far (for the backoff), or null when it is not due or another run holds it.
     */
    async claim(tenantId: string, now: number, leaseMs: number): Promise<{ failures: number } | null> {
      return d1Call('contactPreferenceUploads.claim', () =>
        db
          .prepare(
            `INSERT INTO contact_preference_uploads (tenant_id, next_run_at, updated_at) VALUES (?1, ?2 + ?3, ?2)
             ON CONFLICT (tenant_id) DO UPDATE SET next_run_at = excluded.next_run_at, updated_at = excluded.updated_at
             WHERE contact_preference_uploads.next_run_at <= ?2
             RETURNING failures`,
          )
          .bind(tenantId, now, leaseMs)
          .first<{ failures: number }>(),
      )
    },

    /** A run that ended well (nothing to send counts): the backoff is reset; `upload` when it sent a file. */
    async succeeded(
      tenantId: string,
      now: number,
      nextRunAt: number,
      upload: { jobId: string; rows: number } | null,
    ): Promise<void> {
      await d1Call('contactPreferenceUploads.succeeded', () =>
        db
          .prepare(
            `UPDATE contact_preference_uploads SET next_run_at = ?2, failures = 0, updated_at = ?3,
               last_success_at = ?3,
               last_job_id = COALESCE(?4, last_job_id), last_rows = COALESCE(?5, last_rows)
             WHERE tenant_id = ?1`,
          )
          .bind(tenantId, nextRunAt, now, upload?.jobId ?? null, upload?.rows ?? null)
          .run(),
      )
    },

    /** A run that failed: one more failure in a row, and when to try again. */
    async failed(tenantId: string, now: number, nextRunAt: number, error: string): Promise<void> {
      await d1Call('contactPreferenceUploads.failed', () =>
        db
          .prepare(
            `UPDATE contact_preference_uploads SET next_run_at = ?2, failures = failures + 1, updated_at = ?3,
               last_failure_at = ?3, last_error = ?4
             WHERE tenant_id = ?1`,
          )
          .bind(tenantId, nextRunAt, now, error.slice(0, 500))
          .run(),
      )
    },

    /** The tenant's row, if it ever ran. */
    async get(tenantId: string): Promise<ContactPreferenceUploadRow | null> {
      return d1Call('contactPreferenceUploads.get', () =>
        db
          .prepare('SELECT * FROM contact_preference_uploads WHERE tenant_id = ?')
          .bind(tenantId)
          .first<ContactPreferenceUploadRow>(),
      )
    },
  }
}

export type ContactPreferenceUploadStore = ReturnType<typeof createContactPreferenceUploadStore>
