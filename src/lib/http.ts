import { AppError } from './app-error'

/** Request bodies over 256 KiB are refused with 413. */
export const MAX_BODY_BYTES = 256 * 1024

const tooLarge = () =>
  new AppError('BODY_TOO_LARGE', `Request body exceeds ${MAX_BODY_BYTES} bytes.`, {
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
  // A declared length within the limit bounds the body (HTTP framing): the runtime's native read is
  // cheaper than the stream loop below. Not for encoded bodies, whose decoded size is not declared.
  if (
    Number.isFinite(declared) &&
    req.headers.get('content-length') !== null &&
    !req.headers.has('content-encoding')
  )
    return req.text()
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
  if (text.trim() === '') throw new AppError('INVALID_JSON', 'Request body is empty; expected a JSON object.')
  try {
    return JSON.parse(text)
  } catch (cause) {
    // The parser's own message quotes the input, so it is not passed on.
    throw new AppError('INVALID_JSON', 'Request body is not valid JSON.', { cause })
  }
}

export async function readJsonBody(
  req: Request,
  limit = MAX_BODY_BYTES,
): Promise<{ text: string; json: unknown }> {
  const text = await readBodyText(req, limit)
  return { text, json: parseJsonText(text) }
}

export type FetchFn = typeof fetch

export function safeJsonParse(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}
