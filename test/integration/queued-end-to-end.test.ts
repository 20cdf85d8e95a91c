import { env } from 'cloudflare:workers'
import { describe, expect, it, vi } from 'vitest'
import { ci360Fake, scgFake } from '../support/fake-control'
import { outboundEvent } from '../support/fixtures'
import { QUEUED_TENANT as T } from '../support/queued-tenant'
import { rows } from '../support/rows'
import { call, json } from '../support/worker'

const withSender = () =>
  outboundEvent('outbound-sms-oneline', {
    patch: (e) => {
      e.externalTenantId = T.id
      e.impression.creativeContent = e.impression.creativeContent.replace(
        'channel:Zx8QpLm2RkWc4sTn7YbVhA',
        T.sender,
      )
    },
  })

describe('queued sending through the Worker as deployed: its queue, consumer and pacer', () => {
  it('accepts 6 events at once, then the queue consumer sends all 6 at the sender pace (4 segments/s), each once', async () => {
    const events = Array.from({ length: 6 }, withSender)
    const started = Date.now()
    for (const e of events) {
      const res = await call(env, `/v1/tenants/${T.id}/scg/messages`, {
        body: JSON.stringify(e),
        headers: { 'x-api-key': T.apiKey, 'content-type': 'application/json' },
      })
      expect(await json(res)).toEqual({ status: 'ACCEPTED', guid: e.guid })
    }

    await vi.waitUntil(async () => (await scgFake.requests(T.scgToken)).length >= 6, {
      timeout: 15_000,
      interval: 200,
    })

    const sent = await scgFake.requests(T.scgToken)
    expect(sent).toHaveLength(6)
    expect(new Set(sent.map((r) => (r.body as { external_id: string }).external_id)).size).toBe(6)
    // 3 at once (a bucket of 4 keeps one back), then one every ~250 ms.
    const times = sent.map((r) => r.at).sort((a, b) => a - b)
    expect((times[5] as number) - (times[0] as number)).toBeGreaterThanOrEqual(600)
    expect((times[5] as number) - started).toBeLessThan(12_000)
    await vi.waitUntil(async () => (await rows.sentDeliveries(T.id)).n === 6, { timeout: 5_000 })
    await vi.waitUntil(async () => (await ci360Fake.requests(T.ci360Prefix)).length === 6, { timeout: 5_000 })
  })
})
