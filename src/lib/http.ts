import { AppError } from './app-error'

/** DESIGN §2: request bodies over 256 KiB are refused with 413. */
export const MAX_BODY_BYTES = 256 * 1024

const tooLarge = () =>
  new AppError('BODY_TOO_LARGE', 413, `Request body exceeds ${MAX_BODY_BYTES} bytes.`, {
    details: { limit_bytes: MAX_BODY_BYTES },
  })

/**
 * Read a request body as UTF-8 text, refusing it as soon as it passes `limit` bytes (whether or not a
 * Content-Length was sent), so a huge body is never buffered whole.
 */
export async function readBodyText(req: Request, limit = MAX_BODY_BYTES): Promise<string> {
  const declared = Number(req.headers.get('content-length') ?? '')
  if (Number.isFinite(declared) && declared > limit) throw tooLarge()
  if (!req.body) return ''
  const reader = req.body.getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    total += value.byteLength
    if (total > limit) {
      await reader.cancel().catch(() => undefined)
      throw tooLarge()
    }
    chunks.push(value)
  }
  const all = new Uint8Array(total)
  let offset = 0
  for (const c of chunks) {
    all.set(c, offset)
    offset += c.byteLength
  }
  return new TextDecoder().decode(all)
}

/** Parse JSON whatever the Content-Type said (CI360 sends `text/plain;charset=UTF-8`). */
export function parseJsonText(text: string): unknown {
  if (text.trim() === '')
    throw new AppError('INVALID_JSON', 400, 'Request body is empty; expected a JSON object.')
  try {
    return JSON.parse(text)
  } catch (cause) {
    // The parser's own message quotes the input, so it is not passed on.
    throw new AppError('INVALID_JSON', 400, 'Request body is not valid JSON.', { cause })
  }
}

export async function readJsonBody(
  req: Request,
  limit = MAX_BODY_BYTES,
): Promise<{ text: string; json: unknown }> {
  const text = await readBodyText(req, limit)
  return { text, json: parseJsonText(text) }
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

export type FetchFn = typeof fetch

/** Outcome of an outbound call that never throws: a response, or how the transport failed. */
export type TransportResult =
  | { kind: 'response'; response: Response }
  | { kind: 'timeout' }
  | { kind: 'network'; cause: unknown }

/** `fetch` with a hard timeout; transport failures are returned, not thrown. */
export async function fetchWithTimeout(
  fetchFn: FetchFn,
  url: string,
  init: RequestInit,
  timeoutMs: number,
): Promise<TransportResult> {
  const controller = new AbortController()
  const timer = setTimeout(() => controller.abort(), timeoutMs)
  try {
    const response = await fetchFn(url, { ...init, signal: controller.signal })
    return { kind: 'response', response }
  } catch (cause) {
    if (controller.signal.aborted) return { kind: 'timeout' }
    return { kind: 'network', cause }
  } finally {
    clearTimeout(timer)
  }
}

/** Read at most `limit` bytes of a response body as text (provider error bodies can be anything). */
export async function readTextCapped(res: Response, limit = 64 * 1024): Promise<string> {
  if (!res.body) return ''
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

export function safeJsonParse(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}
