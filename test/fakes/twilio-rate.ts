import type http from 'node:http'
import { BySender, DrainingQueue } from './rates'
import { readRaw, sendJson } from './scripted'

/**
 * Per-account concurrency and per-sender queues of the fake Twilio (docs/protocols.md). Twilio answers
 * 429 (code 20429) to a create while the account already has its limit of requests in flight, and
 * queues each sender's messages, holding `queueSeconds` × `mps` segments: past that, a create from a
 * `From` number is refused with 400 (code 21611), while one through a Messaging Service is created and
 * fails later with error 30001 (only counted here, and shown by the message look-up).
 *
 * Control routes (keyed by the AccountSid):
 *   POST /__control/rate          {key, concurrency?, processMs?, senders?: {<From or MessagingServiceSid>: {mps, queueSeconds?}}}
 *                                 (`{key}` alone clears the account's rate)
 *   GET  /__control/stats?key=…   TwilioStats
 * `POST /__control/reset {key}` clears both.
 */

export interface TwilioSenderRate {
  /** Segments per second the sender's queue drains. */
  mps: number
  /** How many seconds of sending the queue holds (default 36000). */
  queueSeconds?: number
}

export interface TwilioRateConfig {
  /** Create requests the account may have in flight; one more gets 429. */
  concurrency?: number
  /** Each create stays in flight this long before it is answered (default 0). */
  processMs?: number
  senders?: Record<string, TwilioSenderRate>
}

interface AccountStats {
  accepted: number
  rejected20429: number
  rejected21611: number
  queueOverflow30001: number
  maxConcurrent: number
  bySender: BySender
}

/** What the create handler should do with a message after its sender's queue was consulted. */
export type QueueVerdict = 'queued' | 'reject-21611' | 'fail-30001'

const DEFAULT_QUEUE_SECONDS = 36_000

export class TwilioRates {
  private readonly configs = new Map<string, TwilioRateConfig>()
  private readonly queues = new Map<string, Map<string, DrainingQueue>>()
  private readonly inFlight = new Map<string, number>()
  private readonly stats = new Map<string, AccountStats>()

  reset(account: string) {
    this.configs.delete(account)
    this.queues.delete(account)
    this.stats.delete(account)
  }

  private statsOf(account: string): AccountStats {
    let s = this.stats.get(account)
    if (!s) {
      s = {
        accepted: 0,
        rejected20429: 0,
        rejected21611: 0,
        queueOverflow30001: 0,
        maxConcurrent: 0,
        bySender: new BySender(),
      }
      this.stats.set(account, s)
    }
    return s
  }

  /**
   * Enter the account's in-flight set: false (counted as a 20429) when it is full. A true answer must be
   * paired with `leave`.
   */
  enter(account: string): boolean {
    const now = (this.inFlight.get(account) ?? 0) + 1
    const limit = this.configs.get(account)?.concurrency
    const stats = this.statsOf(account)
    if (limit !== undefined && now > limit) {
      stats.rejected20429++
      return false
    }
    this.inFlight.set(account, now)
    stats.maxConcurrent = Math.max(stats.maxConcurrent, now)
    return true
  }

  leave(account: string) {
    const n = (this.inFlight.get(account) ?? 1) - 1
    if (n > 0) this.inFlight.set(account, n)
    else this.inFlight.delete(account)
  }

  processMs(account: string): number {
    return this.configs.get(account)?.processMs ?? 0
  }

  /** Put a valid create's segments in its sender's queue, if that sender has a rate. */
  queue(account: string, from: string | null, service: string | null, segments: number): QueueVerdict {
    const senders = this.configs.get(account)?.senders ?? {}
    const key = from !== null && senders[from] ? from : service !== null && senders[service] ? service : null
    const stats = this.statsOf(account)
    const tracker = stats.bySender.of(from ?? service ?? '')
    for (const c of ['rejected21611', 'queueOverflow30001']) tracker.count(c, 0)
    if (key !== null) {
      const rate = senders[key] as TwilioSenderRate
      let queues = this.queues.get(account)
      if (!queues) {
        queues = new Map()
        this.queues.set(account, queues)
      }
      let q = queues.get(key)
      if (!q) {
        q = new DrainingQueue(rate.mps, (rate.queueSeconds ?? DEFAULT_QUEUE_SECONDS) * rate.mps)
        queues.set(key, q)
      }
      if (!q.add(segments)) {
        if (from !== null) {
          stats.rejected21611++
          tracker.count('rejected21611')
          return 'reject-21611'
        }
        stats.queueOverflow30001++
        tracker.count('queueOverflow30001')
        stats.accepted++
        tracker.accept(segments)
        return 'fail-30001'
      }
    }
    stats.accepted++
    tracker.accept(segments)
    return 'queued'
  }

  /** Serve the rate control routes; false when the request is not one of them. */
  async handle(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<boolean> {
    const action = url.pathname.slice('/__control/'.length)
    if (req.method === 'GET' && action === 'stats') {
      const s = this.statsOf(url.searchParams.get('key') ?? '')
      sendJson(res, 200, { ...s, bySender: s.bySender })
      return true
    }
    if (req.method !== 'POST' || action !== 'rate') return false
    let body: TwilioRateConfig & { key?: string }
    try {
      body = JSON.parse((await readRaw(req)) || '{}')
    } catch {
      sendJson(res, 400, { error: 'body must be JSON' })
      return true
    }
    const { key, ...config } = body
    if (!key) {
      sendJson(res, 400, { error: 'key is required' })
      return true
    }
    for (const [sender, r] of Object.entries(config.senders ?? {})) {
      if (!(r?.mps > 0) || (r.queueSeconds !== undefined && !(r.queueSeconds > 0))) {
        sendJson(res, 400, { error: `senders.${sender}: mps (and queueSeconds, if given) must be > 0` })
        return true
      }
    }
    if (config.concurrency === undefined && config.processMs === undefined && !config.senders) {
      this.configs.delete(key)
    } else this.configs.set(key, config)
    this.queues.delete(key)
    sendJson(res, 200, { ok: true })
    return true
  }
}
