import { env } from 'cloudflare:workers'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import worker from '../../src/index'
import { createLogger } from '../../src/lib/log'
import { runScheduled } from '../../src/scheduled'
import { createFailedRequestStore } from '../../src/storage/failed-requests'
import { clocked, createClock, failedRow, wipeTables } from '../support/clock'
import { FIXTURE_TENANT } from '../support/constants'
import { ci360Fake } from '../support/fake-control'
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

async function storeCi360Row(guid: string, eventBody: string, now: number) {
  await createFailedRequestStore(env.DB)
    .insert({
      tenantId: FIXTURE_TENANT,
      kind: 'ci360_event',
      guid,
      generatedTimestamp: null,
      eventBody,
      httpStatus: 503,
      state: 'pending',
      attempts: 1,
      nextAttemptAt: now,
      lastError: 'unavailable HTTP 503',
      now,
    })
    .run()
}

describe('retry: corrupt and unconfigurable rows are reported, never silently retried', () => {
  beforeEach(wipeTables)
  afterEach(() => vi.restoreAllMocks())

  it('a stored ci360_event whose body is not an event ends dead at once with the reason, nothing sent', async () => {
    const clock = createClock()
    const t = testTenant()
    await storeCi360Row('scg:corrupt-1', '{"eventName":', clock.now())
    await storeCi360Row('scg:corrupt-2', '[1,2]', clock.now())
    const { deps } = clocked(envWith([t]), clock)
    await runScheduled(deps, clock.now())
    for (const guid of ['scg:corrupt-1', 'scg:corrupt-2']) {
      expect(await failedRow(guid)).toMatchObject({
        state: 'dead',
        attempts: 2,
        last_error: 'stored event body is not a CI360 event (JSON object with an eventName)',
      })
    }
    expect(await ci360Fake.requests(t.ci360Key)).toHaveLength(0)
  })

  it('a broken tenant secret keeps the row waiting with the bad keys as reason, and logs the cause', async () => {
    const clock = createClock()
    const broken = testTenant(FIXTURE_TENANT, { event_ttl: 'not-a-number' })
    await storeCi360Row('scg:broken-tenant', '{"eventName":"E","datahub_id":"d"}', clock.now())
    const { deps } = clocked(envWith([broken]), clock, { log: createLogger('info') })
    const lines = await logsOf(() => runScheduled(deps, clock.now()))
    const row = await failedRow('scg:broken-tenant')
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
    const clock = createClock()
    const broken = testTenant(FIXTURE_TENANT, { retention_days: 'soon' })
    const { deps } = clocked(envWith([broken], { retention_days: '30' }), clock, {
      log: createLogger('info'),
    })
    const lines = await logsOf(() => runScheduled(deps, clock.now()))
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
