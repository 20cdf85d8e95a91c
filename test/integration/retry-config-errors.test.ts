import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import worker from '../../src/index'
import { createLogger } from '../../src/lib/log'
import { FIXTURE_TENANT } from '../support/constants'
import { ci360Fake } from '../support/fake-control'
import { createHarness } from '../support/harness'
import { rows, seed, wipeTables } from '../support/rows'
import { envWith, testTenant } from '../support/worker'

/** Every JSON log line written while `fn` ran, with its level. */
async function logsOf(fn: () => Promise<unknown>) {
  const lines: { level: string; line: Record<string, unknown> }[] = []
  for (const level of ['log', 'warn', 'error'] as const) {
    vi.spyOn(console, level).mockImplementation((text: unknown) => {
      lines.push({ level, line: JSON.parse(String(text)) })
    })
  }
  await fn()
  return lines
}

const storeCi360Row = (guid: string, eventBody: string, now: number) =>
  seed.ci360EventFailure(FIXTURE_TENANT, guid, eventBody, now)

describe('retry: corrupt and unconfigurable rows are reported, never silently retried', () => {
  beforeEach(wipeTables)
  afterEach(() => vi.restoreAllMocks())

  it('a stored ci360_event whose body is not an event ends dead at once with the reason, nothing sent', async () => {
    const t = testTenant()
    const h = createHarness([t])
    await storeCi360Row('scg:corrupt-1', '{"eventName":', h.clock.now())
    await storeCi360Row('scg:corrupt-2', '[1,2]', h.clock.now())
    await h.runCron()
    for (const guid of ['scg:corrupt-1', 'scg:corrupt-2']) {
      expect(await rows.failedRequest(guid)).toMatchObject({
        state: 'dead',
        attempts: 2,
        last_error: 'stored event body is not a CI360 event (JSON object with an eventName)',
      })
    }
    expect(await ci360Fake.requests(t.ci360Key)).toHaveLength(0)
  })

  it('a broken tenant secret keeps the row waiting with the bad keys as reason, and logs the cause', async () => {
    const broken = testTenant(FIXTURE_TENANT, { event_ttl: 'not-a-number' })
    const h = createHarness([broken], { runtime: { log: createLogger('info') } })
    await storeCi360Row('scg:broken-tenant', '{"eventName":"E","datahub_id":"d"}', h.clock.now())
    const lines = await logsOf(() => h.runCron())
    const row = await rows.failedRequest('scg:broken-tenant')
    expect(row).toMatchObject({ state: 'pending', attempts: 2 })
    expect(row.last_error).toBe(
      `tenant configuration invalid (TENANT_${FIXTURE_TENANT}): TENANT_${FIXTURE_TENANT}.event_ttl`,
    )
    const logged = lines.find((l) => l.line.msg === 'tenant configuration invalid; row not sent')
    expect(logged?.level).toBe('error')
    expect(String(logged?.line.error_message)).toContain('event_ttl')
    expect(JSON.stringify(lines)).not.toContain('not-a-number')
    expect(await ci360Fake.requests(broken.ci360Key)).toHaveLength(0)
  })

  it('the purge says when a broken tenant secret makes it fall back to the global retention', async () => {
    const broken = testTenant(FIXTURE_TENANT, { retention_days: 'soon' })
    const h = createHarness([broken], {
      vars: { retention_days: '30' },
      runtime: { log: createLogger('info') },
    })
    const lines = await logsOf(() => h.runCron())
    const warned = lines.find(
      (l) => l.line.msg === 'tenant configuration invalid; global retention_days used',
    )
    expect(warned).toMatchObject({ level: 'warn', line: { tenant: FIXTURE_TENANT, retention_days: 30 } })
  })

  it('the cron logs that it skipped while the global configuration is invalid', async () => {
    const bad = envWith([], { event_ttl: 'one hour' })
    const waits: Promise<unknown>[] = []
    const ctx = { waitUntil: (p: Promise<unknown>) => waits.push(p), passThroughOnException() {} }
    const lines = await logsOf(async () => {
      await worker.scheduled(
        { scheduledTime: Date.now(), cron: '* * * * *', noRetry() {} } as ScheduledController,
        bad,
        ctx as unknown as ExecutionContext,
      )
    })
    const skipped = lines.find((l) => l.line.msg === 'cron skipped: configuration invalid')
    expect(skipped?.level).toBe('error')
    expect(JSON.stringify(skipped?.line.issues)).toContain('event_ttl')
    expect(waits).toHaveLength(0)
  })
})
