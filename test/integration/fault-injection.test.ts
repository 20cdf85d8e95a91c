import { describe, expect, it } from 'vitest'
import { FIXTURE_TENANT } from '../support/constants'
import { scgFake } from '../support/fake-control'
import { outboundEvent } from '../support/fixtures'
import { createHarness } from '../support/harness'
import { rows, wipeTables } from '../support/rows'
import { json, testTenant } from '../support/worker'

const EVENTS = 200
/** Events arrive evenly over these first minutes of simulated time… */
const ARRIVAL_MINUTES = 20
/** …while SCG answers 503 for the first N minutes. */
const OUTAGE_MINUTES = 15
/** Give up (and fail) if anything is still pending this long after the start. */
const HORIZON_MINUTES = 24 * 60
const MINUTE = 60_000

interface Snapshot {
  guid: string
  state: string
  attempts: number
  next_attempt_at: number | null
}

const snapshot = async () =>
  new Map(
    ((await rows.failedRequests()) as Snapshot[]).map(({ guid, state, attempts, next_attempt_at }) => [
      guid,
      { guid, state, attempts, next_attempt_at },
    ]),
  )

describe('fault injection: SCG down for the first minutes while 200 events arrive', () => {
  it('delivers every event exactly once, loses none, and retries in next_attempt_at order', async () => {
    await wipeTables()
    const t = testTenant(FIXTURE_TENANT, { event_ttl: '86400' })
    // Every provider call, in the order the Worker starts it, tagged with the cron run making it.
    const calls: { run: number; identity: string }[] = []
    let run = -1
    const h = createHarness([t], {
      via: 'app',
      runtime: {
        fetch: (input, init) => {
          calls.push({
            run,
            identity: String(JSON.parse(String(init?.body)).external_id).split('|')[0] ?? '',
          })
          return fetch(input, init)
        },
      },
    })
    const clock = h.clock
    const start = clock.now()
    await scgFake.script(t.scgToken, [], {
      status: 503,
      body: { error_code: 'SCG_ERROR_5030', error_description: 'Service unavailable' },
    })

    const guidOf = new Map<string, string>()
    const replies: Record<string, number> = {}
    let requestsBeforeRecovery = -1
    let runs = 0
    let minute = 0
    for (; minute <= HORIZON_MINUTES; minute++) {
      clock.set(start + minute * MINUTE)
      if (minute === OUTAGE_MINUTES) {
        requestsBeforeRecovery = (await scgFake.requests(t.scgToken)).length
        await scgFake.script(t.scgToken, [], null)
      }

      // The cron at the top of the minute: exactly the due rows are retried, earliest due first.
      const before = await snapshot()
      const due = [...before.values()].filter(
        (r) => r.state === 'pending' && (r.next_attempt_at ?? Infinity) <= clock.now(),
      )
      run = runs++
      const report = await h.runCron()
      expect(report.attempted).toBe(due.length)
      expect(report.errors).toBe(0)
      const after = await snapshot()
      for (const [guid, row] of before) {
        const attempted = due.some((d) => d.guid === guid)
        expect(after.get(guid)?.attempts).toBe(row.attempts + (attempted ? 1 : 0))
      }
      const dueAt = new Map(due.map((d) => [d.guid, d.next_attempt_at ?? 0]))
      const order = calls
        .filter((c) => c.run === run)
        .map((c) => dueAt.get(guidOf.get(c.identity) ?? '') ?? -1)
      expect(order).toHaveLength(due.length)
      expect(order).toEqual([...order].sort((a, b) => a - b))
      run = -1

      // CI360 posts the events of this minute.
      if (minute < ARRIVAL_MINUTES) {
        const perMinute = EVENTS / ARRIVAL_MINUTES
        for (let k = 0; k < perMinute; k++) {
          const i = minute * perMinute + k
          clock.set(start + minute * MINUTE + k * (MINUTE / perMinute))
          const event = outboundEvent('outbound-sms', {
            now: clock.now(),
            patch: (e) => (e.identityId = `fi-${i}`),
          })
          guidOf.set(`fi-${i}`, event.guid)
          const body = await json(await h.post.scg(t, event))
          replies[body.status] = (replies[body.status] ?? 0) + 1
        }
      } else if (![...after.values()].some((r) => r.state === 'pending')) {
        break
      }
    }

    // Every request before recovery got 503, every one after got 200: count the 200s per event.
    const requests = await scgFake.requests(t.scgToken)
    const successes = new Map<string, number>()
    for (const r of requests.slice(requestsBeforeRecovery)) {
      const identity = String(r.body.external_id).split('|')[0] ?? ''
      successes.set(identity, (successes.get(identity) ?? 0) + 1)
    }
    const identities = [...guidOf.keys()]
    const duplicates = identities.filter((i) => (successes.get(i) ?? 0) > 1).length
    const lost = identities.filter((i) => (successes.get(i) ?? 0) === 0).length
    const retries = requests.length - EVENTS

    const delivered = await rows.sentDeliveries(t.id)
    const failed = await rows.failedRequestsByState()

    console.log(
      `fault injection: events=${EVENTS} queued=${replies.QUEUED ?? 0} sent_first_time=${replies.OK ?? 0} ` +
        `provider_requests=${requests.length} retries=${retries} duplicates=${duplicates} lost=${lost} ` +
        `cron_runs=${runs} simulated_minutes=${minute}`,
    )

    expect(minute).toBeLessThan(HORIZON_MINUTES)
    expect(identities).toHaveLength(EVENTS)
    expect(duplicates).toBe(0)
    expect(lost).toBe(0)
    expect(requestsBeforeRecovery).toBeGreaterThan(0)
    expect(retries).toBeGreaterThan(0)
    expect(replies.QUEUED! + replies.OK!).toBe(EVENTS)
    expect(replies.QUEUED).toBeGreaterThan(0)
    expect(delivered).toEqual({ n: EVENTS, ids: EVENTS })
    expect(failed.map((r) => r.state)).toEqual(['done'])
    expect(failed[0]?.n).toBe(replies.QUEUED)
    // attempts on the rows = every call made for a queued event (first tries included)
    expect(failed[0]?.attempts).toBe(requests.length - (replies.OK ?? 0))
    expect(calls).toHaveLength(requests.length)
  }, 180_000)
})
