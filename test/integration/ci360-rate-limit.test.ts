import { describe, expect, it } from 'vitest'
import { createLogger } from '../../src/lib/log'
import { retryCi360Event } from '../../src/retry/ci360-event'
import { appWith } from '../support/app'
import { FIXTURE_TENANT } from '../support/constants'
import { basicEventManager, scgEnvelope, viaApp } from '../support/event-manager'
import { type Behaviour, ci360Fake } from '../support/fake-control'
import { rows } from '../support/rows'
import { webhookTenant } from '../support/scg-webhook'
import { envWith, json } from '../support/worker'

const CLOUDFRONT_BLOCK =
  '<HTML><HEAD><TITLE>ERROR: The request could not be satisfied</TITLE></HEAD><BODY><H1>403 ERROR</H1>' +
  "<H2>The request could not be satisfied.</H2>Request blocked. We can't connect to the server for this " +
  'app or website at this time. There might be too much traffic or a configuration error.</BODY></HTML>'

/** 403 answers the CI360 gateway (or a WAF/CDN in front of it) could give, and whether each is the rate limit. */
const CASES: [string, Behaviour, boolean][] = [
  ['JSON "Rate limit exceeded"', { body: { message: 'Rate limit exceeded' } }, true],
  ['JSON "Rate exceeded"', { body: { message: 'Rate exceeded' } }, true],
  ['JSON error "Too Many Requests"', { body: { error: 'Too Many Requests' } }, true],
  ['text "request throttled"', { body: 'Request throttled, try again later' }, true],
  ['text "quota"', { body: 'Quota of 700000 requests per 5 minutes exceeded' }, true],
  ['CloudFront block page', { body: CLOUDFRONT_BLOCK }, true],
  ['bare 403 with Retry-After', { headers: { 'retry-after': '120' } }, true],
  [
    'X-RateLimit-Remaining: 0',
    { body: { message: 'Forbidden' }, headers: { 'x-ratelimit-remaining': '0' } },
    true,
  ],
  ['x-amzn-ErrorType throttling', { headers: { 'x-amzn-errortype': 'ThrottlingException' } }, true],
  ['JSON "Forbidden"', { body: { message: 'Forbidden' } }, false],
  [
    'API Gateway "Missing Authentication Token"',
    { body: { message: 'Missing Authentication Token' } },
    false,
  ],
  ['tenant not allowed', { body: { message: 'Access denied: tenant is disabled' } }, false],
  ['empty body', {}, false],
]

function setup() {
  const t = webhookTenant()
  const built = appWith(envWith([t]))
  const em = basicEventManager(viaApp(built.app), { id: FIXTURE_TENANT, webhook: t.webhook })
  return { t, em, deps: built.deps }
}

describe('CI360 rate limit: a 403 that says so is retried, other 403s are permanent', () => {
  it.each(CASES)('403 %s → retryable: %s', async (_name, behaviour, retryable) => {
    const { t, em } = setup()
    await ci360Fake.script(t.ci360Key, [{ status: 403, ...behaviour }])
    const envelope = scgEnvelope('scg-status-delivered')
    const res = await em.deliver(envelope)
    expect(res.status).toBe(200)
    expect(await json(res)).toMatchObject({ status: 'QUEUED' })
    const row = await rows.ci360EventFailure(FIXTURE_TENANT, envelope['event-id'])
    expect(row).toMatchObject({ http_status: 403, state: retryable ? 'pending' : 'dead', attempts: 1 })
    if (retryable) expect(row.next_attempt_at).toBeGreaterThan(Date.now())
    else expect(row.next_attempt_at).toBeNull()
  })

  it("the fake gateway's own limit: the event past it is queued, and delivered by a retry once the window passes", async () => {
    const { t, em, deps } = setup()
    await ci360Fake.rateLimit(t.ci360Key, 1, { windowMs: 300 })
    const first = scgEnvelope('scg-status-delivered')
    const second = scgEnvelope('scg-status-delivered')
    expect(await json(await em.deliver(first))).toMatchObject({ status: 'OK' })
    const queued = await json(await em.deliver(second))
    expect(queued).toMatchObject({ status: 'QUEUED', event_id: second['event-id'] })
    const row = await rows.ci360EventFailure(FIXTURE_TENANT, second['event-id'])
    expect(row).toMatchObject({ state: 'pending', http_status: 403 })
    expect(row.last_error).toMatch(/Rate limit exceeded/)

    await new Promise((r) => setTimeout(r, 350))
    const tenant = deps.config.tenant(FIXTURE_TENANT)!
    const outcome = await retryCi360Event({
      deps: { ...deps, log: createLogger('silent') },
      tenant,
      row,
      now: Date.now(),
    })
    expect(outcome.result).toBe('done')
    const statuses = (await ci360Fake.requests(t.ci360Key)).map((r) => r.body.eventName)
    expect(statuses).toEqual(['SMS Delivered', 'SMS Delivered', 'SMS Delivered'])
    await ci360Fake.rateLimit(t.ci360Key, null)
  })

  it('a permanent 403 is not retried by the cron handler either (dead, not retry)', async () => {
    const { t, deps } = setup()
    await ci360Fake.script(t.ci360Key, [{ status: 403, body: { message: 'Forbidden' } }])
    const tenant = deps.config.tenant(FIXTURE_TENANT)!
    const row: any = { event_body: JSON.stringify({ eventName: 'SMS Delivered', datahub_id: 'd1' }) }
    const outcome = await retryCi360Event({
      deps: { ...deps, log: createLogger('silent') },
      tenant,
      row,
      now: Date.now(),
    })
    expect(outcome).toMatchObject({ result: 'dead', httpStatus: 403 })
  })
})
