import { beforeAll, describe, expect, it } from 'vitest'
import { s3, source } from '../support/bulk'
import {
  ensureJobsBucket,
  getJob,
  jobBody,
  jobsApp,
  postJob,
  BULK_JOBS_TENANT as T,
  waitForEnd,
} from '../support/bulk-jobs'
import { OTHER_TENANT } from '../support/constants'
import { testTenant } from '../support/worker'

beforeAll(ensureJobsBucket)

const writesOf = async (filename: string) =>
  (await s3.requests(T.bucket)).filter((r) => r.path.endsWith(`/${filename}`)).map((r) => r.body.op)

describe('bulk S3, async: redeliveries and the job route', () => {
  it('a redelivery with the same responseTrackingCode gets 200 DUPLICATE with the first job, one copy', async () => {
    const key = source.key()
    const { app } = jobsApp()
    const filename = `jobs/${key}/once.csv`
    const body = jobBody(source.url(key, 'x.csv', { size: 1000 }), filename)

    const first = await postJob(app, body)
    const again = await postJob(app, { ...body, taskId: 'another-task' })
    await waitForEnd(app, first.body.job_id)
    const late = await postJob(app, body)

    expect(first.res.status).toBe(202)
    for (const reply of [again, late]) {
      expect(reply.res.status).toBe(200)
      expect(reply.body).toMatchObject({
        status: 'DUPLICATE',
        job_id: first.body.job_id,
        status_url: first.body.status_url,
      })
    }
    expect(late.body.state).toBe('done')
    expect(await writesOf(filename)).toEqual(['put'])
  })

  it('without a responseTrackingCode, taskId + occurrenceId identify the delivery', async () => {
    const key = source.key()
    const { app } = jobsApp()
    const body = { ...jobBody(source.url(key, 'x.csv', { size: 10 }), `jobs/${key}/task.csv`) }
    const { responseTrackingCode: _, ...noRtc } = body

    const first = await postJob(app, noRtc)
    const again = await postJob(app, noRtc)
    const otherOccurrence = await postJob(app, { ...noRtc, occurrenceId: 'occ-other' })

    expect(first.res.status).toBe(202)
    expect(again.body).toMatchObject({ status: 'DUPLICATE', job_id: first.body.job_id })
    expect(otherOccurrence.res.status).toBe(202)
    expect(otherOccurrence.body.job_id).not.toBe(first.body.job_id)
    await waitForEnd(app, first.body.job_id)
    await waitForEnd(app, otherOccurrence.body.job_id)
  })

  it('bad requests are refused before a job exists (400, nothing fetched)', async () => {
    const key = source.key()
    const { app } = jobsApp()
    const posted = await postJob(app, jobBody(source.url(key, 'x.csv'), '../escape.csv'))

    expect(posted.res.status).toBe(400)
    expect(posted.body).toMatchObject({
      status: 'ERROR',
      error: { code: 'VALIDATION_FAILED', fields: ['sendParameters.s3_filename'] },
    })
    expect(await source.requests(key)).toEqual([])
  })

  it('the job is readable with the CI360 key and the admin key of its tenant only', async () => {
    const other = testTenant(OTHER_TENANT)
    const { app } = jobsApp([other])
    const key = source.key()
    const posted = await postJob(app, jobBody(source.url(key, 'x.csv', { size: 3 }), `jobs/${key}/a.csv`))
    const jobId = posted.body.job_id as string
    await waitForEnd(app, jobId)

    const admin = await getJob(app, jobId, { apiKey: T.adminKey })
    expect(admin.res.status).toBe(200)
    expect(admin.body).toMatchObject({ status: 'OK', job: { job_id: jobId, state: 'done', bytes: 3 } })

    const foreignKey = await getJob(app, jobId, { apiKey: other.apiKey })
    expect(foreignKey.res.status).toBe(401)
    expect(foreignKey.body.error.code).toBe('UNAUTHORIZED')
    const foreignTenant = await getJob(app, jobId, { apiKey: other.apiKey, tenant: other.id })
    expect(foreignTenant.res.status).toBe(404)
    expect(foreignTenant.body).toMatchObject({ status: 'ERROR', error: { code: 'NOT_FOUND' } })
    expect(JSON.stringify(foreignTenant.body)).not.toContain(`jobs/${key}`)
    const unknown = await getJob(app, crypto.randomUUID())
    expect(unknown.res.status).toBe(404)
  })
})
