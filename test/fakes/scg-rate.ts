import { createHash, randomBytes } from 'node:crypto'
import type http from 'node:http'
import { BySender, TokenBucket } from './rates'
import { readRaw, sendJson } from './scripted'

/**
 * Per-sender rates of the fake SCG. SCG takes a send over a sender's rate like any other (200 with an
 * id) and fails it afterwards with a FAILED delivery receipt, reason 1039 (docs/protocols.md). The fake
 * counts segments per (token, from) in a token bucket and, for each send over it, builds that receipt
 * as an Event Manager delivery (the shape of test/fixtures/providers/scg-status-failed-1039-throttled.json),
 * keeps it per token and, when asked, posts it to a receipt URL.
 *
 * Control routes (keyed by the Bearer token):
 *   POST /__control/rate            {key, senders: {<from>: {mps, burst?}} | null, receipts?: ReceiptTarget | null}
 *   GET  /__control/receipts?key=…  the receipts built so far (oldest first)
 *   POST /__control/receipts/clear  {key}
 *   GET  /__control/stats?key=…     ScgStats
 * `POST /__control/reset {key}` clears all of it too.
 */

export interface SenderRate {
  /** Segments per second. */
  mps: number
  /** Bucket size in segments (default `mps`); the bucket starts full. */
  burst?: number
}

export interface ReceiptTarget {
  /** Where to POST each receipt (JSON, HTTP Basic), about 50 ms after the send. */
  url?: string
  username?: string
  password?: string
  /** Also build a DELIVERED receipt for each send within the rate. */
  delivered?: boolean
}

interface TokenRate {
  senders: Record<string, SenderRate>
  receipts: ReceiptTarget | null
  buckets: Map<string, TokenBucket>
}

interface TokenStats {
  accepted: number
  overRate: number
  receiptPostFailures: number
  bySender: BySender
}

/** What an accepted send tells the rate keeper. */
export interface AcceptedSend {
  id: string
  from: string
  to: string[]
  body: string
  external_id: string | null
  hasMedia: boolean
}

const RECEIPT_DELAY_MS = 50

/** Segments as a handset would count them, roughly: 7-bit text 160/153 per part, anything else 70/67. */
export function scgSegments(body: string): number {
  const chars = [...body]
  const wide = chars.some((c) => (c.codePointAt(0) ?? 0) > 0x7f)
  const [single, part] = wide ? [70, 67] : [160, 153]
  return chars.length <= single ? 1 : Math.ceil(chars.length / part)
}

const id22 = () => randomBytes(16).toString('base64url').slice(0, 22)
const stableId22 = (s: string) => createHash('sha256').update(s).digest('base64url').slice(0, 22)

export class ScgRates {
  private readonly rates = new Map<string, TokenRate>()
  private readonly receipts = new Map<string, unknown[]>()
  private readonly stats = new Map<string, TokenStats>()

  reset(token: string) {
    this.rates.delete(token)
    this.receipts.delete(token)
    this.stats.delete(token)
  }

  private statsOf(token: string): TokenStats {
    let s = this.stats.get(token)
    if (!s) {
      s = { accepted: 0, overRate: 0, receiptPostFailures: 0, bySender: new BySender() }
      this.stats.set(token, s)
    }
    return s
  }

  /**
   * Count an accepted send against its sender's rate; over it, schedule the 1039 receipt. Returns
   * whether the send was over the rate (the HTTP answer is the same either way).
   */
  accepted(token: string, send: AcceptedSend, onFailed?: () => void): boolean {
    const now = Date.now()
    const segments = scgSegments(send.body)
    const stats = this.statsOf(token)
    const sender = stats.bySender.of(send.from)
    sender.count('overRate', 0)
    stats.accepted++
    sender.accept(segments, now)
    const rate = this.rates.get(token)
    const limit = rate?.senders[send.from]
    let over = false
    if (rate && limit) {
      let bucket = rate.buckets.get(send.from)
      if (!bucket) {
        bucket = new TokenBucket(limit.mps, limit.burst ?? limit.mps, now)
        rate.buckets.set(send.from, bucket)
      }
      over = !bucket.take(segments, now)
    }
    if (over) {
      stats.overRate++
      sender.count('overRate')
      for (const to of send.to)
        this.emit(token, rate?.receipts ?? null, receipt(send, to, segments, 'FAILED'))
      onFailed?.()
    } else if (rate?.receipts?.delivered) {
      for (const to of send.to) this.emit(token, rate.receipts, receipt(send, to, segments, 'DELIVERED'))
    }
    return over
  }

  private emit(token: string, target: ReceiptTarget | null, envelope: unknown) {
    const list = this.receipts.get(token) ?? []
    list.push(envelope)
    this.receipts.set(token, list)
    if (!target?.url) return
    const { url, username = '', password = '' } = target
    const stats = this.statsOf(token)
    setTimeout(() => {
      fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`,
        },
        body: JSON.stringify(envelope),
      })
        .then(async (r) => {
          await r.arrayBuffer().catch(() => undefined)
          if (!r.ok) stats.receiptPostFailures++
        })
        .catch(() => {
          stats.receiptPostFailures++
        })
    }, RECEIPT_DELAY_MS)
  }

  /** Serve the rate control routes; false when the request is not one of them. */
  async handle(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<boolean> {
    const action = url.pathname.slice('/__control/'.length)
    if (req.method === 'GET' && (action === 'receipts' || action === 'stats')) {
      const key = url.searchParams.get('key') ?? ''
      if (action === 'receipts') sendJson(res, 200, this.receipts.get(key) ?? [])
      else {
        const s = this.statsOf(key)
        sendJson(res, 200, {
          accepted: s.accepted,
          overRate: s.overRate,
          receiptPostFailures: s.receiptPostFailures,
          bySender: s.bySender,
        })
      }
      return true
    }
    if (req.method !== 'POST' || (action !== 'rate' && action !== 'receipts/clear')) return false
    let body: { key?: string; senders?: Record<string, SenderRate> | null; receipts?: ReceiptTarget | null }
    try {
      body = JSON.parse((await readRaw(req)) || '{}')
    } catch {
      sendJson(res, 400, { error: 'body must be JSON' })
      return true
    }
    if (!body.key) {
      sendJson(res, 400, { error: 'key is required' })
      return true
    }
    if (action === 'receipts/clear') {
      this.receipts.delete(body.key)
    } else if (body.senders === null || body.senders === undefined) {
      this.rates.delete(body.key)
    } else {
      for (const [from, r] of Object.entries(body.senders)) {
        if (!(r?.mps > 0) || (r.burst !== undefined && !(r.burst > 0))) {
          sendJson(res, 400, { error: `senders.${from}: mps (and burst, if given) must be > 0` })
          return true
        }
      }
      this.rates.set(body.key, { senders: body.senders, receipts: body.receipts ?? null, buckets: new Map() })
    }
    sendJson(res, 200, { ok: true })
    return true
  }
}

/** An Event Manager delivery for one recipient of `send`, as SCG posts a message_state_change. */
function receipt(send: AcceptedSend, to: string, segments: number, state: 'FAILED' | 'DELIVERED') {
  const failed = state === 'FAILED'
  return {
    topic: 'SCG-Message',
    attempt: 1,
    event: {
      'fld-val-list': {
        previous_state: 'SENT',
        message_request_id: send.id,
        message_id: id22(),
        to_address: to,
        has_attachment: send.hasMedia,
        reason_code: failed ? '1039' : '200',
        reason_description: failed ? 'Message throttled' : 'SUCCESS',
        application_id: 9210,
        sender_id_alias: send.from,
        'company-id': 4417,
        sender_id_id: stableId22(send.from),
        external_message_request_id: send.external_id,
        new_state: state,
        fragments_count: segments,
        from_address: send.from,
        mt_price: failed ? 0 : 0.0075,
      },
      'evt-tp': 'message_state_change',
      timestamp: new Date().toISOString(),
    },
    'event-id': id22(),
  }
}
