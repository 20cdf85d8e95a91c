import { env } from 'cloudflare:workers'
import { beforeAll, describe, expect, it, vi } from 'vitest'
import { QUIET_MS, sweepBulkJobs } from '../../src/bulk/sweep'
import { MIB, s3, source } from '../support/bulk'
import {
  ci360EventsFor,
  ensureJobsBucket,
  getJob,
  jobBody,
  jobsApp,
  postJob,
  BULK_JOBS_TENANT as T,
  waitForEnd,
} from '../support/bulk-jobs'
import { rows } from '../support/rows'

beforeAll(ensureJobsBucket)

const pendingFor = async (key: string) => (await s3.pendingUploads(T.bucket)).filter((u) => u.key === key)
const s3OpsFor = async (key: string) =>
  (await s3.requests(T.bucket)).filter((r) => r.path.endsWith(`/${key}`)).map((r) => r.body.op)

describe('bulk S3, async: failures end the job, abort the upload and tell CI360', () => {
  it('source 404: job failed with SOURCE_UNAVAILABLE, nothing uploaded, bulk_failed_event sent', async () => {
    const key = source.key()
    const filename = `jobs/${key}/missing.csv`
    const { app } = jobsApp()
    const body = jobBody(source.url(key, 'x.csv', { status: 404 }), filename)

    const posted = await postJob(app, body)
    const job = await waitForEnd(app, posted.body.job_id)

    expect(posted.res.status).toBe(202)
    expect(job).toMatchObject({
      state: 'failed',
      bytes: null,
      error: {
        code: 'SOURCE_UNAVAILABLE',
        message: 'Could not read dataFile: the source answered HTTP 404.',
      },
    })
    expect(await s3OpsFor(filename)).toEqual([])
    expect(await ci360EventsFor(body.responseTrackingCode)).toEqual([
      {
        eventName: T.failedEvent,
        responseTrackingCode: body.responseTrackingCode,
        upload_filename: filename,
        error_code: 'SOURCE_UNAVAILABLE',
        connector_event_id: `bulk:${posted.body.job_id}`,
      },
    ])
  })

  it('source expiring mid-copy: job failed, the multipart upload aborted, no object', async () => {
    const key = source.key()
    const filename = `jobs/${key}/expiring.csv`
    const { app } = jobsApp()
    const body = jobBody(source.url(key, 'x.csv', { size: 29 * MIB, expire: 10 * MIB }), filename)

    const posted = await postJob(app, body)
    const job = await waitForEnd(app, posted.body.job_id)

    expect(job).toMatchObject({ state: 'failed', error: { code: 'SOURCE_UNAVAILABLE' } })
    expect(job.error.message).toContain('HTTP 403')
    const ops = await s3OpsFor(filename)
    expect(ops).toContain('create')
    expect(ops.at(-1)).toBe('abort')
    expect(await pendingFor(filename)).toEqual([])
    expect(await s3.object(T.bucket, filename)).toMatchObject({ exists: false })
    expect((await rows.bulkJob(posted.body.job_id))?.upload_id).toBeNull()
    expect((await ci360EventsFor(body.responseTrackingCode)).map((e) => e.error_code)).toEqual([
      'SOURCE_UNAVAILABLE',
    ])
  })

  it('S3 refusing the upload: job failed with S3_UPLOAD_FAILED and S3 code', async () => {
    const key = source.key()
    const filename = `jobs/${key}/denied.csv`
    const { app } = jobsApp()
    await s3.fault(T.bucket, { op: 'create', status: 403, code: 'AccessDenied' })
    const posted = await postJob(app, jobBody(source.url(key, 'x.csv', { size: 11 * MIB }), filename))
    const job = await waitForEnd(app, posted.body.job_id)

    expect(job).toMatchObject({
      state: 'failed',
      error: {
        code: 'S3_UPLOAD_FAILED',
        message: 'Could not upload dataFile to S3: CreateMultipartUpload: HTTP 403 AccessDenied.',
      },
    })
  })

  it('a part failing once is retried by its step; the job ends done with the same bytes', async () => {
    const key = source.key()
    const filename = `jobs/${key}/flaky.csv`
    const url = source.url(key, 'x.csv', { size: 8 * MIB + 1, fail: 5 * MIB })
    const { app } = jobsApp()
    const posted = await postJob(app, jobBody(url, filename))
    const job = await waitForEnd(app, posted.body.job_id)

    expect(job).toMatchObject({ state: 'done', bytes: 8 * MIB + 1, parts: 2, error: null })
    expect(await s3.object(T.bucket, filename)).toMatchObject({ exists: true, ...(await source.digest(url)) })
    const second = (await source.requests(key)).filter(
      (r) => r.headers.range === `bytes=${5 * MIB}-${8 * MIB}`,
    )
    expect(second.map((r) => r.body.status)).toEqual([500, 206])
  })

  it('an instance terminated mid-copy leaves no pending upload once the cron has run', async () => {
    const key = source.key()
    const filename = `jobs/${key}/terminated.csv`
    const { app, deps } = jobsApp()
    const body = jobBody(source.url(key, 'x.csv', { size: 29 * MIB, pace: 150 }), filename)
    const posted = await postJob(app, body)
    const jobId = posted.body.job_id as string
    expect(['queued', 'running']).toContain((await getJob(app, jobId)).body.job.state)
    await vi.waitUntil(async () => (await rows.bulkJob(jobId))?.upload_id, { timeout: 20_000, interval: 20 })
    expect((await getJob(app, jobId)).body.job).toMatchObject({ state: 'running', bytes: null, error: null })
    await (await env.BULK_COPY.get(jobId)).terminate()
    expect(await pendingFor(filename)).toHaveLength(1)

    // Not yet quiet long enough: the cron leaves the job alone.
    expect(await sweepBulkJobs(deps)).not.toContain(jobId)
    const later = { ...deps, now: () => Date.now() + QUIET_MS + 60_000 }
    expect(await sweepBulkJobs(later)).toContain(jobId)

    expect(await pendingFor(filename)).toEqual([])
    expect(await rows.bulkJob(jobId)).toMatchObject({
      state: 'failed',
      error_code: 'INTERNAL',
      upload_id: null,
    })
    expect((await ci360EventsFor(body.responseTrackingCode)).map((e) => e.eventName)).toEqual([T.failedEvent])
  })
})
