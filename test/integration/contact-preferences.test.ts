import { env } from 'cloudflare:workers'
import { beforeEach, describe, expect, it } from 'vitest'
import { runScheduled } from '../../src/scheduled'
import type { SuppressionEntry } from '../../src/storage/suppressions'
import { type Clock, createClock } from '../support/clock'
import { FIXTURE_TENANT, OTHER_TENANT } from '../support/constants'
import { ci360Fake } from '../support/fake-control'
import { createHarness } from '../support/harness'
import { wipeTables } from '../support/rows'
import { type TestTenant, testTenant } from '../support/worker'

const HEADER = 'identity_type,identity_value,preference_type,preference_value'
const MINUTE = 60_000

const csvOf = (...rows: string[]) => `${[HEADER, ...rows].join('\n')}\n`

/** Drives the whole cron (`runScheduled`) for `tenants` on one clock; entries go through the real store. */
function setup(tenants: TestTenant[], clock: Clock = createClock()) {
  const { deps } = createHarness(tenants, { clock, via: 'app' })
  const store = deps.stores.suppressions
  return {
    clock,
    deps,
    add: (t: TestTenant, e: SuppressionEntry) => store.add(t.id, e, 'keyword', clock.now()),
    remove: (t: TestTenant, address: string) => store.remove(t.id, address, 'key:ab12', clock.now()),
    cron: () => runScheduled(deps, clock.now()),
    pending: (t: TestTenant) => store.pendingUpload(t.id, 100),
    schedule: (t: TestTenant) => deps.stores.contactPreferenceUploads.get(t.id),
  }
}

const sms = (address: string, extra: Partial<SuppressionEntry> = {}): SuppressionEntry => ({
  address,
  channel: 'sms',
  source: 'keyword',
  keyword: 'STOP',
  ...extra,
})

const enabled = (id = FIXTURE_TENANT, extra: Record<string, unknown> = {}) =>
  testTenant(id, { ci360_contact_preferences: true, ...extra })

describe('CI360 contact preferences: the cron uploads new opt-outs and opt-ins', () => {
  beforeEach(async () => {
    await wipeTables()
    await env.DB.batch([
      env.DB.prepare('DELETE FROM suppressions'),
      env.DB.prepare('DELETE FROM suppression_changes'),
      env.DB.prepare('DELETE FROM contact_preference_uploads'),
    ])
  })

  it('sends one CSV through fileTransferLocation → PUT → tableJobs, with the tenant JWT, then marks the rows uploaded', async () => {
    const t = enabled()
    const s = setup([t])
    await s.add(t, sms('+15550000001'))
    await s.add(t, sms('+15550000002', { source: 'operator', keyword: null }))
    await s.add(t, sms('+15550000003'))
    s.clock.advance(1000)
    await s.remove(t, '+15550000003')
    await s.add(t, sms('+15550000004', { sender: 'channel:OneSender' }))

    const report = await s.cron()

    expect(report.contactPreferences).toEqual({ rows: 3, failed: 0 })
    const { files, jobs } = await ci360Fake.contactPreferences(t.ci360Key)
    const expected = csvOf(
      'sms_id,+15550000001,OPT-OUT,true',
      'sms_id,+15550000002,OPT-OUT,true',
      'sms_id,+15550000003,OPT-OUT,false',
    )
    expect(files).toEqual([{ path: expect.any(String), content_type: 'text/csv', csv: expected }])
    expect(jobs).toHaveLength(1)
    expect(jobs[0]).toMatchObject({
      client_id: FIXTURE_TENANT,
      jobType: 'CONTACT_PREFERENCE_SMS_IMPORT',
      headerRowIncluded: true,
      csv: expected,
    })
    expect(String(jobs[0]?.fileLocation)).toMatch(
      /^http:\/\/127\.0\.0\.1:\d+\/ci360-\w+\/marketingData\/uploads\//,
    )

    const calls = await ci360Fake.requests(t.ci360Key)
    expect(calls.map((c) => `${c.method} ${c.path.replace(t.ci360Key, '')}`)).toEqual([
      'POST /marketingData/fileTransferLocation',
      `PUT ${files[0]?.path.replace(t.ci360Key, '')}`,
      'POST /marketingData/tableJobs/',
    ])
    const [location, put, job] = calls
    expect(location?.headers.authorization).toMatch(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/)
    expect(location?.headers.client_id).toBe(FIXTURE_TENANT)
    expect(job?.headers.client_id).toBe(FIXTURE_TENANT)
    expect(job?.headers['content-type']).toBe('application/json')
    // The signed URL is its own credential: the gateway token never goes to the file store.
    expect(put?.headers.authorization).toBeUndefined()

    // The job's state, as an operator would read it (the connector itself does not wait for it).
    const gateway = String(t.secret.ci360_api_url).replace('/marketingGateway/events', '')
    const status = await fetch(`${gateway}/marketingData/tableJobs/${jobs[0]?.id}`, {
      headers: { authorization: String(location?.headers.authorization) },
    })
    expect(await status.json()).toEqual({
      id: jobs[0]?.id,
      jobType: 'CONTACT_PREFERENCE_SMS_IMPORT',
      status: 'Imported',
    })

    expect(await s.pending(t)).toEqual([])
    expect(await s.schedule(t)).toMatchObject({
      failures: 0,
      last_job_id: jobs[0]?.id,
      last_rows: 3,
      next_run_at: s.clock.now() + 15 * MINUTE,
    })
  })

  it('uploads nothing while ci360_contact_preferences is off, and the changes stay pending', async () => {
    const t = testTenant(FIXTURE_TENANT)
    const s = setup([t])
    await s.add(t, sms('+15550000011'))
    const report = await s.cron()
    expect(report.contactPreferences).toEqual({ rows: 0, failed: 0 })
    expect(await ci360Fake.requests(t.ci360Key)).toEqual([])
    expect(await s.pending(t)).toHaveLength(1)
    expect(await s.schedule(t)).toBeNull()
  })

  it('calls CI360 not at all when nothing changed', async () => {
    const t = enabled()
    const s = setup([t])
    await s.cron()
    expect(await ci360Fake.requests(t.ci360Key)).toEqual([])
    expect(await s.schedule(t)).toMatchObject({ failures: 0, last_job_id: null })
  })

  it('leaves WhatsApp entries out of the SMS import', async () => {
    const t = enabled()
    const s = setup([t])
    await s.add(t, sms('+15550000021', { channel: 'whatsapp' }))
    await s.cron()
    expect(await ci360Fake.requests(t.ci360Key)).toEqual([])
    expect(await s.pending(t)).toEqual([])

    await s.add(t, sms('+15550000022', { channel: 'whatsapp' }))
    await s.add(t, sms('+15550000023'))
    s.clock.advance(15 * MINUTE)
    await s.cron()
    const { files } = await ci360Fake.contactPreferences(t.ci360Key)
    expect(files.map((f) => f.csv)).toEqual([csvOf('sms_id,+15550000023,OPT-OUT,true')])
  })

  it('uploads again only after contact_preference_minutes', async () => {
    const t = enabled(FIXTURE_TENANT, { contact_preference_minutes: 5 })
    const s = setup([t])
    await s.add(t, sms('+15550000031'))
    await s.cron()
    await s.add(t, sms('+15550000032'))
    s.clock.advance(4 * MINUTE)
    await s.cron()
    expect((await ci360Fake.contactPreferences(t.ci360Key)).files).toHaveLength(1)
    expect(await s.pending(t)).toHaveLength(1)

    s.clock.advance(MINUTE)
    await s.cron()
    const { files } = await ci360Fake.contactPreferences(t.ci360Key)
    expect(files.map((f) => f.csv)).toEqual([
      csvOf('sms_id,+15550000031,OPT-OUT,true'),
      csvOf('sms_id,+15550000032,OPT-OUT,true'),
    ])
  })

  it('keeps the rows pending when fileTransferLocation answers 500, backs off, and uploads them once later', async () => {
    const t = enabled()
    const s = setup([t])
    await s.add(t, sms('+15550000041'))
    await s.add(t, sms('+15550000042'))
    await ci360Fake.script(t.ci360Key, [{ status: 500, body: { message: 'internal error' } }])

    const first = await s.cron()
    expect(first.contactPreferences).toEqual({ rows: 0, failed: 1 })
    expect(await ci360Fake.requests(t.ci360Key)).toHaveLength(1)
    expect(await s.pending(t)).toHaveLength(2)
    const failed = await s.schedule(t)
    expect(failed).toMatchObject({ failures: 1, last_job_id: null })
    expect(failed?.last_error).toContain('HTTP 500')
    expect(failed?.next_run_at).toBeGreaterThanOrEqual(s.clock.now() + 15 * MINUTE)

    // Not every minute: the next attempt waits for the backoff.
    s.clock.advance(MINUTE)
    await s.cron()
    expect(await ci360Fake.requests(t.ci360Key)).toHaveLength(1)

    s.clock.advance(15 * MINUTE)
    const second = await s.cron()
    expect(second.contactPreferences).toEqual({ rows: 2, failed: 0 })
    s.clock.advance(15 * MINUTE)
    await s.cron()

    const { files, jobs } = await ci360Fake.contactPreferences(t.ci360Key)
    const expected = csvOf('sms_id,+15550000041,OPT-OUT,true', 'sms_id,+15550000042,OPT-OUT,true')
    expect(files.map((f) => f.csv)).toEqual([expected])
    expect(jobs.map((j) => j.csv)).toEqual([expected])
    expect(await s.pending(t)).toEqual([])
    expect(await s.schedule(t)).toMatchObject({ failures: 0, last_job_id: jobs[0]?.id })
  })

  it('keeps the rows pending when the import job is refused after the file went up', async () => {
    const t = enabled()
    const s = setup([t])
    await s.add(t, sms('+15550000051'))
    await ci360Fake.script(t.ci360Key, [{}, {}, { status: 503 }])
    await s.cron()
    expect((await ci360Fake.contactPreferences(t.ci360Key)).jobs).toEqual([])
    expect(await s.pending(t)).toHaveLength(1)

    s.clock.advance(15 * MINUTE)
    await s.cron()
    const { jobs } = await ci360Fake.contactPreferences(t.ci360Key)
    expect(jobs.map((j) => j.csv)).toEqual([csvOf('sms_id,+15550000051,OPT-OUT,true')])
    expect(await s.pending(t)).toEqual([])
  })

  it('is refused by CI360 with a JWT of the wrong secret, and keeps the rows pending', async () => {
    const t = enabled(FIXTURE_TENANT, { ci360_client_secret: 'NotTheSecretCi360Knows0123456789' })
    const s = setup([t])
    await s.add(t, sms('+15550000081'))
    const report = await s.cron()
    expect(report.contactPreferences).toEqual({ rows: 0, failed: 1 })
    const calls = await ci360Fake.requests(t.ci360Key)
    expect(calls.map((c) => c.path.replace(t.ci360Key, ''))).toEqual(['/marketingData/fileTransferLocation'])
    expect((await s.schedule(t))?.last_error).toContain('auth HTTP 401')
    expect(await s.pending(t)).toHaveLength(1)
  })

  it('treats an answer without a signedURL as a failure, and sends no file', async () => {
    const t = enabled()
    const s = setup([t])
    await s.add(t, sms('+15550000091'))
    await ci360Fake.script(t.ci360Key, [{ status: 201, body: { url: 'elsewhere' } }])
    await s.cron()
    expect(await ci360Fake.requests(t.ci360Key)).toHaveLength(1)
    expect((await s.schedule(t))?.last_error).toContain('without a signedURL')
    expect(await s.pending(t)).toHaveLength(1)
  })

  it("uploads each tenant's own rows only, with its own token", async () => {
    const a = enabled(FIXTURE_TENANT)
    const b = enabled(OTHER_TENANT)
    const s = setup([a, b])
    await s.add(a, sms('+15550000061'))
    await s.add(b, sms('+15550000062'))
    await s.add(b, sms('+15550000063'))
    await s.remove(b, '+15550000063')
    await s.cron()

    const ofA = await ci360Fake.contactPreferences(a.ci360Key)
    const ofB = await ci360Fake.contactPreferences(b.ci360Key)
    expect(ofA.jobs.map((j) => [j.client_id, j.csv])).toEqual([
      [FIXTURE_TENANT, csvOf('sms_id,+15550000061,OPT-OUT,true')],
    ])
    expect(ofB.jobs.map((j) => [j.client_id, j.csv])).toEqual([
      [OTHER_TENANT, csvOf('sms_id,+15550000062,OPT-OUT,true', 'sms_id,+15550000063,OPT-OUT,false')],
    ])
  })

  it('does not upload for a tenant whose ci360_api_url is not an events URL, and says why', async () => {
    const t = enabled(FIXTURE_TENANT)
    t.secret.ci360_api_url = `${String(t.secret.ci360_api_url).replace('/marketingGateway/events', '/other')}`
    const s = setup([t])
    await s.add(t, sms('+15550000071'))
    const report = await s.cron()
    expect(report.contactPreferences).toEqual({ rows: 0, failed: 1 })
    expect((await s.schedule(t))?.last_error).toContain('/marketingGateway/events')
    expect(await s.pending(t)).toHaveLength(1)
  })
})
