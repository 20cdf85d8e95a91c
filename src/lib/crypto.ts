const encoder = new TextEncoder()

/**
 * Constant-time string equality. Both sides are hashed first so inputs of different lengths take the
 * same time and `timingSafeEqual` (which needs equal lengths) can be used.
 */
export async function safeEqual(a: string, b: string): Promise<boolean> {
  const [ha, hb] = await Promise.all([
    crypto.subtle.digest('SHA-256', encoder.encode(a)),
    crypto.subtle.digest('SHA-256', encoder.encode(b)),
  ])
  return crypto.subtle.timingSafeEqual(ha, hb)
}

/** True when `candidate` equals any of `allowed`; every entry is compared so timing does not reveal which. */
export async function matchesAny(candidate: string, allowed: readonly string[]): Promise<boolean> {
  let found = false
  for (const key of allowed) {
    if (await safeEqual(candidate, key)) found = true
  }
  return found
}

export function base64Encode(bytes: ArrayBuffer | Uint8Array): string {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)
  let s = ''
  for (let i = 0; i < view.length; i++) s += String.fromCharCode(view[i] as number)
  return btoa(s)
}

export function hexEncode(bytes: ArrayBuffer | Uint8Array): string {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)
  return [...view].map((b) => b.toString(16).padStart(2, '0')).join('')
}

export function base64UrlEncode(bytes: ArrayBuffer | Uint8Array): string {
  return base64Encode(bytes).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

export function base64UrlEncodeText(text: string): string {
  return base64UrlEncode(encoder.encode(text))
}

export async function hmac(
  algorithm: 'SHA-1' | 'SHA-256',
  key: string | Uint8Array,
  message: string | Uint8Array,
): Promise<ArrayBuffer> {
  const keyBytes = typeof key === 'string' ? encoder.encode(key) : key
  const cryptoKey = await crypto.subtle.importKey('raw', keyBytes, { name: 'HMAC', hash: algorithm }, false, [
    'sign',
  ])
  return crypto.subtle.sign(
    'HMAC',
    cryptoKey,
    typeof message === 'string' ? encoder.encode(message) : message,
  )
}

export async function sha256Hex(data: string | Uint8Array): Promise<string> {
  const bytes = typeof data === 'string' ? encoder.encode(data) : data
  return hexEncode(await crypto.subtle.digest('SHA-256', bytes))
}
