import { expect, vi } from 'vitest'
import type { Deps } from '../../src/deps'
import { appWith } from './app'
import { BULK_JOBS_TENANT } from './bulk-jobs-tenant'
import { control } from './fake-control'
import { envWith, fakes, json, type TestTenant } from './worker'

export { BULK_JOBS_TENANT } from './bulk-jobs-tenant'

const T = BULK_JOBS_TENANT
const unique = () => crypto.randomUUID().replaceAll('-', '').slice(0, 12)

/** The bucket of the bulk-jobs tenant (one for all tests: they use distinct keys). */
export async function ensureJobsBucket(): Promise<void> {
  await fetch(`${fakes().s3}/__control/bucket`, { method: 'POST', body: JSON.stringify({ name: T.bucket }) })
}

/** A CI360 bulk webhook for the bulk-jobs tenant, with its own responseTrackingCode unless given. */
export function jobBody(dataFile: string, s3Filename: string, extra: Record<string, unknown> = {}) {
  return {
    externalTenantId: T.id,
    taskId: `task-${unique()}`,
    occurrenceId: `occ-${unique()}`,
    responseTrackingCode: `rtc-${unique()}`,
    presignedUrls: { dataFile },
    sendParameters: { s3_filename: s3Filename },
    ...extra,
  }
}

/** One app for a test: the real `BULK_COPY` binding, optional extra tenants, optional deps. */
export function jobsApp(tenants: TestTenant[] = [], overrides: Partial<Deps> = {}) {
  return appWith(envWith(tenants), overrides)
}

type App = ReturnType<typeof jobsApp>['app']

export async function postJob(app: App, body: unknown, apiKey: string = T.apiKey) {
  const started = performance.now()
  const res = await app.request(`https://connector.example.com/v1/tenants/${T.id}/bulk/s3`, {
    method: 'POST',
    headers: { 'x-api-key': apiKey, 'content-type': 'text/plain;charset=UTF-8' },
    body: JSON.stringify(body),
  })
  return { res, body: await json(res), ms: performance.now() - started }
}

export async function getJob(app: App, jobId: string, opts: { apiKey?: string; tenant?: string } = {}) {
  const res = await app.request(
    `https://connector.example.com/v1/tenants/${opts.tenant ?? T.id}/bulk/jobs/${jobId}`,
    { headers: { 'x-api-key': opts.apiKey ?? T.apiKey } },
  )
  return { res, body: await json(res) }
}

/** Poll the job route until the job has ended; returns the job body. */
export async function waitForEnd(app: App, jobId: string, timeout = 60_000): Promise<Record<string, any>> {
  let job: Record<string, any> = {}
  await vi.waitUntil(
    async () => {
      const { res, body } = await getJob(app, jobId)
      expect(res.status).toBe(200)
      job = body.job
      return job.state === 'done' || job.state === 'failed'
    },
    { timeout, interval: 100 },
  )
  return job
}

/** The events the fake CI360 gateway received for the bulk-jobs tenant with this tracking code. */
export async function ci360EventsFor(rtc: string): Promise<Record<string, any>[]> {
  const all = await control('ci360').requests(T.ci360Prefix)
  return all.map((r) => r.body).filter((b) => b?.responseTrackingCode === rtc)
}

/** The job row as stored (for the upload id and the timestamps the cron reads). */
