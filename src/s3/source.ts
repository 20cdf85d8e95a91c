import type { FetchFn } from '../lib/http'
import { isRetryableStatus } from '../upstream/error'
import { CopyFailure, deadline } from './copy-failure'
import type { ObjectHeaders } from './s3-client'

/** What the range probe learned about the source. */
export type Probe =
  /** The source answers ranges and told its size: parts are fetched in parallel. */
  | { kind: 'ranged'; totalBytes: number; headers: ObjectHeaders }
  /** An empty file (416 to `bytes=0-0`). */
  | { kind: 'empty'; headers: ObjectHeaders }
  /** No range support: this 200 response is the whole file, read once, in order. */
  | { kind: 'stream'; response: Response; length: number | undefined; headers: ObjectHeaders }

/**
 * GET the source. `encodeResponseBody: 'manual'` keeps the bytes as sent: by default workerd gunzips a
 * `Content-Encoding: gzip` body (ranged ones included), which would change the copy and break ranges.
 */
export async function fetchSource(
  fetchFn: FetchFn,
  url: string,
  range: string | undefined,
  signal: AbortSignal,
): Promise<Response> {
  try {
    return await fetchFn(url, {
      headers: range ? { range } : {},
      signal,
      encodeResponseBody: 'manual',
    })
  } catch (cause) {
    // A refusal of the source fetch itself (a redirect outside the allowed hosts) stays as it is.
    if (cause instanceof CopyFailure) throw cause
    throw new CopyFailure('source', signal.aborted ? 'no answer in time' : 'connection failed', {
      retryable: true,
      cause,
    })
  }
}

/** Ask for the first byte: a 206 with a total size means ranged, parallel copying. */
export async function probeSource(fetchFn: FetchFn, url: string, timeoutMs: number): Promise<Probe> {
  let timer = deadline(timeoutMs)
  let res: Response
  try {
    res = await fetchSource(fetchFn, url, 'bytes=0-0', timer.signal)
  } finally {
    timer.clear()
  }
  const headers = objectHeadersOf(res)
  if (res.status === 416) {
    await discard(res)
    return { kind: 'empty', headers }
  }
  if (res.status === 206) {
    await discard(res)
    const range = parseContentRange(res.headers.get('content-range'))
    if (range?.total !== undefined) {
      return range.total === 0
        ? { kind: 'empty', headers }
        : { kind: 'ranged', totalBytes: range.total, headers }
    }
    // A range without a total size: read the file whole instead.
    timer = deadline(timeoutMs)
    try {
      res = await fetchSource(fetchFn, url, undefined, timer.signal)
    } finally {
      timer.clear()
    }
  }
  if (res.status !== 200) {
    await discard(res)
    throw sourceStatusFailure(res.status)
  }
  const declared = res.headers.get('content-length')
  const length = declared !== null && /^\d+$/.test(declared) ? Number(declared) : undefined
  return { kind: 'stream', response: res, length, headers }
}

export function sourceStatusFailure(status: number): CopyFailure {
  return new CopyFailure('source', `the source answered HTTP ${status}`, {
    retryable: isRetryableStatus(status),
    status,
  })
}

/** `bytes 0-0/1234` → {start, end, total}; an empty file is `bytes *\/0`; a `*` total is undefined. */
export function parseContentRange(
  value: string | null,
): { start: number | undefined; end: number | undefined; total: number | undefined } | undefined {
  const m = /^bytes\s+(?:(\d+)-(\d+)|\*)\/(\d+|\*)$/i.exec(value?.trim() ?? '')
  if (!m) return undefined
  const num = (s: string | undefined) => (s === undefined || s === '*' ? undefined : Number(s))
  return { start: num(m[1]), end: num(m[2]), total: num(m[3]) }
}

function objectHeadersOf(res: Response): ObjectHeaders {
  return {
    contentType: res.headers.get('content-type') ?? undefined,
    contentEncoding: res.headers.get('content-encoding') ?? undefined,
  }
}

export async function discard(res: Response): Promise<void> {
  await res.body?.cancel().catch(() => undefined)
}
