import { env } from 'cloudflare:workers'
import { expect } from 'vitest'
import { createFailedRequestStore, type FailedRequestKind } from '../../src/storage/failed-requests'
import { FIXTURE_TENANT, OTHER_TENANT } from './constants'
import { scgFake } from './fake-control'
import { outboundEvent } from './fixtures'
import { rows } from './rows'
import { type CallInit, call, envWith, type TestTenant, testTenant } from './worker'

export const unavailable = { status: 503, body: { error_code: 'SCG_ERROR_5030', error_description: 'busy' } }
export const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/

/** Two tenants with admin keys, a caller for the operator API and a way to queue a failed send. */
export function setup(overrides: Record<string, unknown> = {}) {
  const t = testTenant(FIXTURE_TENANT, overrides)
  const other = testTenant(OTHER_TENANT)
  const testEnv = envWith([t, other])
  const admin = (path: string, init: CallInit = {}, who: TestTenant = t) =>
    call(testEnv, `/v1/tenants/${who.id}${path}`, {
      ...init,
      headers: { 'x-api-key': who.adminKey, ...init.headers },
    })
  /** Send an event whose first attempt gets 503, and return its event and failed-request id. */
  const queue = async (who: TestTenant = t, patch?: (e: any) => void) => {
    await scgFake.script(who.scgToken, [unavailable])
    const event = outboundEvent('outbound-sms', {
      patch: (e) => {
        e.externalTenantId = who.id
        patch?.(e)
      },
    })
    const res = await call(testEnv, `/v1/tenants/${who.id}/scg/messages`, {
      body: event,
      headers: { 'x-api-key': who.apiKey },
    })
    expect(res.status).toBe(202)
    return { event, id: (await rows.failedRequest(event.guid)).id as string }
  }
  return { t, other, testEnv, admin, queue }
}

/** Insert `n` failed requests directly (states cycle pending, dead, done; ids follow `start + i`). */
export async function insertRows(tenantId: string, n: number, kinds: FailedRequestKind[], start: number) {
  const store = createFailedRequestStore(env.DB)
  const states = ['pending', 'dead', 'done'] as const
  for (let i = 0; i < n; i++) {
    await store
      .insert({
        tenantId,
        kind: kinds[i % kinds.length] as FailedRequestKind,
        guid: `${tenantId}-row-${i}`,
        generatedTimestamp: null,
        eventBody: '{"eventName":"x"}',
        httpStatus: 503,
        state: states[i % states.length] as (typeof states)[number],
        attempts: 1,
        nextAttemptAt: start + 30_000,
        lastError: 'unavailable HTTP 503',
        now: start + i,
      })
      .run()
  }
}
