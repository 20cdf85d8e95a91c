import { AppError } from './app-error'

/** Request bodies over 256 KiB are refused with 413. */
export const MAX_BODY_BYTES = 256 * 1024

const tooLarge = () =>
  new AppError('BODY_TOO_LARGE', `Request body exceeds ${MAX_BODY_BYTES} bytes.`, {
    details: { limit_bytes: MAX_BODY_BYTES },
  })

/**
 * Read a request body's bytes, refusing it as soon as it passes `limit` bytes (whether or not a
 * Content-Length was sent), so a huge body is never buffered whole.
 */
export async function readBodyBytes(req: Request, limit = MAX_BODY_BYTES): Promise<Uint8Array> {
  const declared = Number(req.headers.get('content-length') ?? '')
  if (Number.isFinite(declared) && declared > limit) throw tooLarge()
  if (!req.body) return new Uint8Array(0)
  // A declared length within the limit bounds the body (HTTP framing): the runtime's native read is
  // cheaper than the stream loop below. Not for encoded bodies, whose decoded size is not declared.
  if (
    Number.isFinite(declared) &&
    req.headers.get('content-length') !== null &&
    !req.headers.has('content-encoding')
  )
    return new Uint8Array(await req.arrayBuffer())
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
  return all
}

/**
 * Bytes as text the way `Request.text()` reads them: a leading byte order mark is dropped and an
 * invalid UTF-8 sequence becomes U+FFFD.
 */
export const decodeText = (bytes: Uint8Array): string => new TextDecoder().decode(bytes)

const strictDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/**
 * Bytes as text only when they are exactly UTF-8 text: undefined for an invalid UTF-8 sequence or a
 * leading byte order mark, so nothing a signature covered is dropped or replaced on the way to the
 * parser (docs/webhooks.md, "Signatures over bytes").
 */
export function decodeUtf8Exactly(bytes: Uint8Array): string | undefined {
  let text: string
  try {
    text = strictDecoder.decode(bytes)
  } catch {
    // The fatal decoder's only way to say "not UTF-8": an expected outcome, answered by the caller.
    return undefined
  }
  return text.charCodeAt(0) === 0xfeff ? undefined : text
}

/** Read a request body as UTF-8 text (see `readBodyBytes` and `decodeText`). */
export async function readBodyText(req: Request, limit = MAX_BODY_BYTES): Promise<string> {
  return decodeText(await readBodyBytes(req, limit))
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
