/** A user name and password from an `Authorization: Basic` header (RFC 7617). */
export interface BasicCredentials {
  username: string
  password: string
}

/**
 * Decode `Authorization: Basic base64(user:pass)`. Undefined when the header is absent, uses another
 * scheme, or does not decode; the password may contain `:` (only the first one separates).
 */
export function parseBasicAuth(header: string | undefined | null): BasicCredentials | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=._~-]+)\s*$/i.exec(header ?? '')
  if (!match) return undefined
  let decoded: string
  try {
    const binary = atob(match[1] as string)
    decoded = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(
      Uint8Array.from(binary, (ch) => ch.charCodeAt(0)),
    )
  } catch {
    return undefined
  }
  const colon = decoded.indexOf(':')
  if (colon < 0) return undefined
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) }
}

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function parseBearer(header: string | undefined | null): string | undefined {
  const match = /^Bearer\s+([A-Za-z0-9._~+/-]+=*)\s*$/i.exec(header ?? '')
  return match?.[1]
}

/** The scheme word of an Authorization header (`basic`, `bearer`, …), lower-cased; '' when absent. */
export const authScheme = (header: string | undefined | null): string =>
  (header ?? '').trim().split(/\s+/)[0]?.toLowerCase() ?? ''
