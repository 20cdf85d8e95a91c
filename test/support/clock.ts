import { env } from 'cloudflare:workers'
import type { Runtime } from '../../src/deps'
import { appWith } from './app'
import type { TestTenant } from './worker'

/** A settable clock for driving retries through simulated time. */
export interface Clock {
  now: () => number
  set(ms: number): void
  advance(ms: number): void
}

export function createClock(start = Date.now()): Clock {
  let t = start
  return {
    now: () => t,
    set: (ms) => {
      t = ms
    },
    advance: (ms) => {
      t += ms
    },
  }
}

/** A small deterministic PRNG (mulberry32), so backoff jitter is exercised but reproducible. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** The app and deps of `testEnv` on a simulated clock. */
export function clocked(testEnv: Env, clock: Clock, overrides: Partial<Runtime> = {}) {
  return appWith(testEnv, { now: clock.now, random: seededRandom(42), ...overrides })
}

type App = ReturnType<typeof appWith>['app']

/** POST a CI360 event to the tenant's SCG route of `app`. */
export function postScg(app: App, tenant: TestTenant, event: unknown) {
  return app.request(`https://connector.example.com/v1/tenants/${tenant.id}/scg/messages`, {
    method: 'POST',
    headers: { 'x-api-key': tenant.apiKey, 'content-type': 'text/plain;charset=UTF-8' },
    body: JSON.stringify(event),
  })
}

/** Forget every stored row: the cron works on the whole table, and D1 is shared by a file's tests. */
export async function wipeTables() {
  await env.DB.batch([
    env.DB.prepare('DELETE FROM failed_requests'),
    env.DB.prepare('DELETE FROM deliveries'),
    env.DB.prepare('DELETE FROM webhook_events'),
  ])
}

export const failedRow = (guid: string) =>
  env.DB.prepare('SELECT * FROM failed_requests WHERE guid = ?').bind(guid).first<any>()

export const deliveryRow = (guid: string) =>
  env.DB.prepare('SELECT * FROM deliveries WHERE guid = ?').bind(guid).first<any>()
