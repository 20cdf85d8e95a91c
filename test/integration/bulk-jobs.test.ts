import { beforeAll, describe, expect, it } from 'vitest'
import { MIB, s3, source } from '../support/bulk'
import {
  ci360EventsFor,
  ensureJobsBucket,
  jobBody,
  jobsApp,
  postJob,
  BULK_JOBS_TENANT as T,
  waitForEnd,
} from '../support/bulk-jobs'

beforeAll(ensureJobsBucket)

const sizes = [
  { name: 'empty', bytes: 0, parts: 1 },
  { name: '1 byte', bytes: 1, parts: 1 },
  { name: '5 MiB - 1', bytes: 5 * MIB - 1, parts: 1 },
  { name: '8 MiB + 1', bytes: 8 * MIB + 1, parts: 2 },
  { name: '29 MiB', bytes: 29 * MIB, parts: 6 },
]

describe('bulk S3, async: 202 at once, the Workflow copies, CI360 hears the end', () => {
  for (const ranges of [1, 0]) {
    for (const size of sizes) {
      it(`${size.name}, ${ranges ? 'ranged' : 'no Range'} source`, async () => {
        const key = source.key()
        const url = source.url(key, 'export.csv', { size: size.bytes, ranges })
        const filename = `jobs/${key}/audience.csv`
        const { app } = jobsApp()
        const body = jobBody(url, filename)

        const posted = await postJob(app, body)

        expect(posted.res.status).toBe(202)
        expect(posted.body).toEqual({
          status: 'QUEUED',
          job_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
          status_url: `https://connector.example.com/v1/tenants/${T.id}/bulk/jobs/${posted.body.job_id}`,
        })
        expect(posted.ms).toBeLessThan(1000)
        const job = await waitForEnd(app, posted.body.job_id)
        expect(job).toEqual({
          job_id: posted.body.job_id,
          state: 'done',
          upload_filename: filename,
          bucket_name: T.bucket,
          s3_uri: `s3://${T.bucket}/${filename}`,
          bytes: size.bytes,
          parts: size.parts,
          error: null,
          created_at: expect.any(String),
          updated_at: expect.any(String),
        })
        expect(await s3.object(T.bucket, filename)).toMatchObject({
          exists: true,
          ...(await source.digest(url)),
        })
        expect((await s3.pendingUploads(T.bucket)).filter((u) => u.key === filename)).toEqual([])
        expect(await ci360EventsFor(body.responseTrackingCode)).toEqual([
          {
            eventName: T.completedEvent,
            responseTrackingCode: body.responseTrackingCode,
            upload_filename: filename,
            s3_uri: `s3://${T.bucket}/${filename}`,
            bytes: String(size.bytes),
            connector_event_id: `bulk:${posted.body.job_id}`,
          },
        ])
      })
    }
  }
})
