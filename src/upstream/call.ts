import type { FetchFn } from '../lib/http'
import { err, ok, type Result } from '../lib/result'
import { isRetryableStatus, UpstreamError, type UpstreamId } from './error'
import type { ReachProbe } from './probe'

const NAMES: Record<UpstreamId, string> = { scg: 'SCG', twilio: 'Twilio', ci360: 'CI360', genesys: 'Genesys' }

/** What an upstream's wire format reads from a non-2xx reply. */
export interface ErrorReading {
  /** The vendor's error code, when its body carries one. */
  code?: string
  /** A secret-free description (a vendor message, or the body), put after "X answered 4xx: ". */
  description?: string
  /** Overrides the general rule (408, 429, 5xx) when the vendor says otherwise. */
  retryable?: boolean
  /** True when the reply means our credentials were refused even though the status is not 401. */
  auth?: boolean
}

export interface UpstreamRequest {
  upstream: UpstreamId
  url: string
  init: RequestInit
  timeoutMs: number
  /** How much of the reply body is read (bodies of error replies can be anything). */
  bodyLimit?: number
  readError?: (reply: { status: number; statusText: string; text: string; headers: Headers }) => ErrorReading
}

/** A POST with the headers every upstream call sends: credentials, the body's type, JSON accepted. */
export const postInit = (authorization: string, contentType: string, body: string): RequestInit => ({
  method: 'POST',
  headers: { authorization, 'content-type': contentType, accept: 'application/json' },
  body,
})

/** A GET with our credentials, JSON accepted (the providers' look-ups). */
export const getInit = (authorization: string): RequestInit => ({
  method: 'GET',
  headers: { authorization, accept: 'application/json' },
})

/** A 2xx reply, its body read up to the limit. */
export interface UpstreamReply {
  status: number
  text: string
}

/**
 * One call to an upstream service. It never throws: a timeout, a transport failure or a non-2xx reply
 * becomes an `UpstreamError` saying whether it is worth retrying and when (`Retry-After`).
 */
export async function callUpstream(
  deps: { fetch: FetchFn; now: () => number; probe?: ReachProbe | undefined },
  req: UpstreamRequest,
): Promise<Result<UpstreamReply, UpstreamError>> {
  const started = deps.now()
  const name = NAMES[req.upstream]
  const signal = AbortSignal.timeout(req.timeoutMs)
  let res: Response
  try {
    res = await deps.fetch(req.url, { ...req.init, signal })
  } catch (cause) {
    const timeout = signal.aborted
    // The Workers runtime reports a refused connection and one cut after the request was written the
    // same way ("Network connection lost"): a raw connection to the host tells them apart. Refused:
    // the request certainly never arrived. Otherwise the failure is ambiguous.
    if (!timeout && deps.probe && (await deps.probe(req.url)) === 'refused') {
      return err(
        new UpstreamError({
          upstream: req.upstream,
          kind: 'refused',
          retryable: true,
          ambiguous: false,
          message: `cannot connect to ${name}: the request was not sent`,
          cause,
        }),
      )
    }
    return err(
      new UpstreamError({
        upstream: req.upstream,
        kind: timeout ? 'timeout' : 'unavailable',
        retryable: true,
        ambiguous: true,
        message: timeout ? `no answer within ${req.timeoutMs} ms` : 'network error',
        ...(timeout ? {} : { cause }),
      }),
    )
  }
  const text = await readTextCapped(res, req.bodyLimit)
  if (res.ok) return ok({ status: res.status, text })
  const reading =
    req.readError?.({ status: res.status, statusText: res.statusText, text, headers: res.headers }) ?? {}
  const retryable = reading.retryable ?? isRetryableStatus(res.status)
  const description = reading.description ?? res.statusText
  return err(
    new UpstreamError({
      upstream: req.upstream,
      kind: res.status === 401 || reading.auth ? 'auth' : retryable ? 'unavailable' : 'rejected',
      status: res.status,
      ...(reading.code ? { providerCode: reading.code } : {}),
      retryable,
      ...(retryable ? { retryAfterMs: parseRetryAfter(res.headers.get('retry-after'), started) } : {}),
      message: `${name} answered ${res.status}${description ? `: ${description.slice(0, 200)}` : ''}`,
    }),
  )
}

/**
 * Parse a `Retry-After` header (delta-seconds or HTTP-date) into milliseconds from `now`.
 * Returns undefined when absent or unusable.
 */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (!value) return undefined
  const trimmed = value.trim()
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000
  const date = Date.parse(trimmed)
  if (Number.isNaN(date)) return undefined
  return Math.max(0, date - now)
}

/** Read at most `limit` bytes of a response body as text. */
export async function readTextCapped(res: Response, limit = 64 * 1024): Promise<string> {
  if (!res.body) return ''
  // A declared length within the limit bounds the body: the native read is cheaper than the loop below.
  // Not for an encoded body (fetch decodes it, so its decoded size is not the declared one).
  const declared = Number(res.headers.get('content-length') ?? Number.NaN)
  if (declared <= limit && !res.headers.has('content-encoding')) return res.text().catch(() => '')
  const reader = res.body.getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      chunks.push(value)
      total += value.byteLength
      if (total >= limit) {
        await reader.cancel().catch(() => undefined)
        break
      }
    }
  } catch {
    // A body cut mid-way still yields what arrived; the status code is what matters.
  }
  const all = new Uint8Array(Math.min(total, limit))
  let offset = 0
  for (const c of chunks) {
    const room = all.byteLength - offset
    if (room <= 0) break
    all.set(c.subarray(0, room), offset)
    offset += Math.min(c.byteLength, room)
  }
  return new TextDecoder().decode(all)
}
