import { base64Encode, hmac, matchesAny, safeEqual, sha256Hex } from '../../lib/crypto'

/** Form parameters as Twilio posted them; a repeated name carries every value. */
export type TwilioParams = Record<string, string | string[]>

/**
 * The text Twilio signs (docs/protocols.md, "Twilio"): the URL, then every parameter name (sorted by
 * UTF-16 code unit, case-sensitive) followed by its value, with no separators. A repeated name
 * contributes each distinct value, in sorted order.
 */
export function signedText(url: string, params: TwilioParams): string {
  let text = url
  for (const name of Object.keys(params).sort()) {
    const value = params[name] as string | string[]
    if (Array.isArray(value)) for (const v of [...new Set(value)].sort()) text += name + v
    else text += name + value
  }
  return text
}

/** `X-Twilio-Signature` for a request: base64 of HMAC-SHA1 keyed with the account's auth token. */
export async function twilioSignature(authToken: string, url: string, params: TwilioParams): Promise<string> {
  return base64Encode(await hmac('SHA-1', authToken, signedText(url, params)))
}

/**
 * Verify a form-encoded webhook. Twilio is not consistent about default ports, and frameworks show the
 * URL re-encoded, so (like Twilio's own helper library) several spellings of the same URL are tried:
 * as received with and without the default port, then as normalised by the URL parser, also with the
 * query re-encoded the way Node's legacy `querystring` module does. Every comparison is constant-time.
 */
export async function verifyTwilioSignature(
  authToken: string,
  signature: string | undefined,
  url: string,
  params: TwilioParams,
): Promise<boolean> {
  if (!authToken || !signature) return false
  const expected = await Promise.all(urlSpellings(url).map((u) => twilioSignature(authToken, u, params)))
  return matchesAny(signature, expected)
}

/**
 * Verify a JSON-body webhook (docs/protocols.md, "Twilio"): the URL carries `bodySHA256`, the signature
 * covers the URL alone, and the hex SHA-256 of the raw body's bytes must equal `bodySHA256`.
 */
export async function verifyTwilioBodySignature(
  authToken: string,
  signature: string | undefined,
  url: string,
  rawBody: string | Uint8Array,
): Promise<boolean> {
  const claimed = bodyHashOf(url) ?? ''
  const [urlOk, bodyOk] = await Promise.all([
    verifyTwilioSignature(authToken, signature, url, {}),
    safeEqual(await sha256Hex(rawBody), claimed),
  ])
  return urlOk && bodyOk
}

/** The `bodySHA256` query value, when the URL has one (marks the JSON-body variant). */
export function bodyHashOf(url: string): string | undefined {
  try {
    return new URL(url).searchParams.get('bodySHA256') ?? undefined
  } catch {
    return undefined
  }
}

/** Every spelling of `url` a genuine signature may have been computed over. */
export function urlSpellings(url: string): string[] {
  const spellings = [withoutPort(url), withPort(url)]
  let normalised: string
  try {
    normalised = new URL(url).toString()
  } catch {
    return [...new Set(spellings)]
  }
  const bare = withoutPort(normalised)
  const ported = withPort(normalised)
  spellings.push(bare, ported, withLegacyQuery(bare), withLegacyQuery(ported))
  return [...new Set(spellings)]
}

interface UrlParts {
  scheme: string
  userInfo: string
  host: string
  port: string
  rest: string
}

/** Split without normalising, so the path and query keep exactly the characters that were signed. */
function splitUrl(url: string): UrlParts | undefined {
  const m = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)/i.exec(url)
  if (!m) return undefined
  const authority = m[2] as string
  const at = authority.lastIndexOf('@')
  const hostPort = authority.slice(at + 1)
  // In an IPv6 literal the port colon comes after the closing bracket.
  const colon = hostPort.indexOf(':', hostPort.lastIndexOf(']') + 1)
  return {
    scheme: m[1] as string,
    userInfo: authority.slice(0, at + 1),
    host: colon === -1 ? hostPort : hostPort.slice(0, colon),
    port: colon === -1 ? '' : hostPort.slice(colon),
    rest: url.slice(m[0].length),
  }
}

function withoutPort(url: string): string {
  const p = splitUrl(url)
  return p ? p.scheme + p.userInfo + p.host + p.rest : url
}

function withPort(url: string): string {
  const p = splitUrl(url)
  if (!p || p.port) return url
  const port = p.scheme.toLowerCase() === 'https://' ? ':443' : ':80'
  return p.scheme + p.userInfo + p.host + port + p.rest
}

/** Re-encode the query as Node's `querystring.stringify(querystring.parse(q))` would. */
function withLegacyQuery(url: string): string {
  const q = url.indexOf('?')
  if (q === -1 || q === url.length - 1) return url
  // A null-prototype object keeps the key order Node's parser produces (integer-like keys first).
  const parsed: Record<string, string[]> = Object.create(null)
  for (const pair of url.slice(q + 1).split('&')) {
    if (pair === '') continue
    const eq = pair.indexOf('=')
    const key = legacyDecode(eq === -1 ? pair : pair.slice(0, eq))
    const value = eq === -1 ? '' : legacyDecode(pair.slice(eq + 1))
    const list = parsed[key]
    if (list) list.push(value)
    else parsed[key] = [value]
  }
  const out: string[] = []
  for (const key of Object.keys(parsed)) {
    for (const value of parsed[key] as string[])
      out.push(`${encodeURIComponent(key)}=${encodeURIComponent(value)}`)
  }
  return `${url.slice(0, q)}?${out.join('&')}`
}

/** `+` is a space; valid `%XX` escapes are decoded as UTF-8 (invalid bytes → U+FFFD), others kept. */
function legacyDecode(s: string): string {
  const spaced = s.replace(/\+/g, ' ')
  try {
    return decodeURIComponent(spaced)
  } catch {
    const bytes: number[] = []
    for (let i = 0; i < spaced.length; i++) {
      const hex = spaced.slice(i + 1, i + 3)
      if (spaced[i] === '%' && /^[0-9a-f]{2}$/i.test(hex)) {
        bytes.push(Number.parseInt(hex, 16))
        i += 2
      } else {
        bytes.push(...new TextEncoder().encode(spaced[i]))
      }
    }
    return new TextDecoder().decode(new Uint8Array(bytes))
  }
}
