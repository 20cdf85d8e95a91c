import { describe, expect, it } from 'vitest'
import { createLogger } from '../lib/log'
import { err, ok } from '../lib/result'
import type { NewFailedRequest } from '../storage/failed-requests'
import { UpstreamError } from '../upstream/error'
import { BACKOFF_MS } from './backoff'
import { type OutboxContext, sendOrStore } from './send-or-store'

const T0 = Date.parse('2026-01-01T00:00:00Z')

/** A context whose clock moves 40 ms per read and whose failed-request store records what it is given. */
function context() {
  let t = T0
  const inserted: NewFailedRequest[] = []
  let runs = 0
  const ctx: OutboxContext = {
    now: () => {
      t += 40
      return t
    },
    random: () => 0.5,
    log: createLogger('silent'),
    stores: {
      failedRequests: {
        insert: (r) => {
          inserted.push(r)
          return {
            run: async () => {
              runs++
              return { success: true, meta: {}, results: [] }
            },
          } as unknown as D1PreparedStatement
        },
      },
    },
  }
  return { ctx, inserted, runs: () => runs }
}

const entry = {
  tenantId: 't1',
  kind: 'ci360_event',
  key: 'scg:e1',
  upstream: 'ci360',
  body: '{"a":1}',
} as const
const failure = (retryable: boolean) =>
  new UpstreamError({
    upstream: 'ci360',
    kind: retryable ? 'unavailable' : 'rejected',
    message: 'no',
    status: retryable ? 503 : 400,
    retryable,
  })

describe('sendOrStore', () => {
  it('stores nothing when the call succeeds and reports the call made', async () => {
    const { ctx, inserted } = context()
    const o = await sendOrStore(ctx, entry, async () => ok({ status: 201 }), { okStatus: (v) => v.status })
    expect(o).toEqual({
      status: 'SENT',
      value: { status: 201 },
      attempt: { upstream: 'ci360', at: T0 + 40, ok: true, http_status: 201, latency_ms: 40, error: null },
    })
    expect(inserted).toEqual([])
  })

  it('queues a retryable failure as pending, due after the first backoff step', async () => {
    const { ctx, inserted, runs } = context()
    const o = await sendOrStore(ctx, entry, async () => err(failure(true)))
    const retryAt = T0 + 80 + (BACKOFF_MS[0] as number)
    expect(o).toMatchObject({ status: 'QUEUED', retryAt, attempt: { ok: false, http_status: 503 } })
    expect(inserted).toEqual([
      expect.objectContaining({
        tenantId: 't1',
        kind: 'ci360_event',
        guid: 'scg:e1',
        eventBody: '{"a":1}',
        generatedTimestamp: null,
        state: 'pending',
        attempts: 1,
        nextAttemptAt: retryAt,
        httpStatus: 503,
      }),
    ])
    expect(runs()).toBe(1)
  })

  it('stores a permanent failure dead and answers REJECTED, not an error', async () => {
    const { ctx, inserted } = context()
    const o = await sendOrStore(ctx, entry, async () => err(failure(false)))
    expect(o.status).toBe('REJECTED')
    expect(inserted).toEqual([
      expect.objectContaining({ state: 'dead', nextAttemptAt: null, httpStatus: 400 }),
    ])
  })

  it('lets the caller store the failed request in its own batch', async () => {
    const { ctx, runs } = context()
    const stored: string[] = []
    const o = await sendOrStore(ctx, entry, async () => err(failure(true)), {
      store: async (_insert, error) => {
        stored.push(error.summary())
      },
    })
    expect(o.status).toBe('QUEUED')
    expect(stored).toEqual(['unavailable HTTP 503: no'])
    expect(runs()).toBe(0)
  })
})
