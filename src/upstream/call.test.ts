import { describe, expect, it } from 'vitest'
import { callUpstream } from './call'

const now = () => Date.parse('2026-01-01T00:00:00Z')
const call = (fetch: typeof globalThis.fetch, timeoutMs = 1000) =>
  callUpstream(
    { fetch, now },
    { upstream: 'ci360', url: 'http://127.0.0.1:1/x', init: { method: 'POST' }, timeoutMs, bodyLimit: 8 },
  )

describe('callUpstream', () => {
  it('returns a 2xx body read up to the limit', async () => {
    const r = await call(async () => new Response('0123456789abcdef', { status: 201 }))
    expect(r).toEqual({ ok: true, value: { status: 201, text: '01234567' } })
  })

  it('maps 429 to a retryable error that honours Retry-After', async () => {
    const r = await call(async () => new Response('busy', { status: 429, headers: { 'retry-after': '7' } }))
    expect(r.ok).toBe(false)
    if (r.ok) return
    expect(r.error).toMatchObject({ upstream: 'ci360', kind: 'unavailable', status: 429, retryable: true })
    expect(r.error.retryAfterMs).toBe(7000)
    expect(r.error.summary()).toBe('unavailable HTTP 429: CI360 answered 429: Too Many Requests')
  })

  it('maps 400 to a rejection and 401 to auth, neither retryable', async () => {
    const bad = await call(async () => new Response('', { status: 400 }))
    const auth = await call(async () => new Response('', { status: 401 }))
    expect(!bad.ok && [bad.error.kind, bad.error.retryable]).toEqual(['rejected', false])
    expect(!auth.ok && [auth.error.kind, auth.error.retryable]).toEqual(['auth', false])
  })

  it('turns a transport failure and a timeout into retryable errors', async () => {
    const down = await call(async () => {
      throw new TypeError('connection refused')
    })
    expect(!down.ok && [down.error.kind, down.error.message, down.error.retryable]).toEqual([
      'unavailable',
      'network error',
      true,
    ])
    const slow = await call(
      (_url, init) =>
        new Promise((_resolve, reject) =>
          init?.signal?.addEventListener('abort', () => reject(init.signal?.reason)),
        ),
      20,
    )
    expect(!slow.ok && [slow.error.kind, slow.error.message]).toEqual(['timeout', 'no answer within 20 ms'])
  })
})
