import { hex, hmac, sha256Hex } from '../lib/crypto'

/**
 * AWS Signature Version 4 for S3, on Web Crypto: the header form (every call) and the presigned query
 * form (presignGet), both with `UNSIGNED-PAYLOAD` so a streamed body is never read to be hashed.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-authenticating-requests.html
 * S3 takes the path as sent (encoded once, never normalised), so the caller's encoded path is the
 * canonical URI. Tests check every signature against AWS's own signer (@smithy/signature-v4).
 */

export interface SigV4Credentials {
  accessKeyId: string
  secretAccessKey: string
  region: string
}

const ALGORITHM = 'AWS4-HMAC-SHA256'
const UNSIGNED = 'UNSIGNED-PAYLOAD'

/** RFC 3986 encoding (unreserved characters stay as they are), as SigV4 and S3 key paths want it. */
export const rfc3986 = (s: string) =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)

const byCode = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

/** `20260301T120000Z`, as SigV4 wants it. */
const amzDate = (ms: number): string => new Date(ms).toISOString().replace(/[:-]|\.\d{3}/g, '')

/** Signs requests of one set of credentials; the derived signing key is kept per day. */
export function s3Signer(creds: SigV4Credentials) {
  const keys = new Map<string, Uint8Array>()

  const signingKey = async (date: string) => {
    let key = keys.get(date)
    if (!key) {
      let k = new Uint8Array(await hmac('SHA-256', `AWS4${creds.secretAccessKey}`, date))
      for (const part of [creds.region, 's3', 'aws4_request'])
        k = new Uint8Array(await hmac('SHA-256', k, part))
      keys.clear()
      keys.set(date, k)
      key = k
    }
    return key
  }

  /** The signature of `url` (its query already final) with `headers` (lower-case names, host included). */
  const signature = async (method: string, url: URL, headers: Record<string, string>, datetime: string) => {
    const names = Object.keys(headers).sort(byCode)
    const query = [...url.searchParams]
      .map(([k, v]) => `${rfc3986(k)}=${rfc3986(v)}`)
      .sort(byCode)
      .join('&')
    const canonical = [
      method,
      url.pathname,
      query,
      ...names.map((n) => `${n}:${(headers[n] ?? '').trim().replace(/\s+/g, ' ')}`),
      '',
      names.join(';'),
      UNSIGNED,
    ].join('\n')
    const scope = `${datetime.slice(0, 8)}/${creds.region}/s3/aws4_request`
    const toSign = [ALGORITHM, datetime, scope, await sha256Hex(canonical)].join('\n')
    const key = await signingKey(datetime.slice(0, 8))
    return { scope, names, signature: hex(await hmac('SHA-256', key, toSign)) }
  }

  return {
    /** The headers to send: `headers` plus x-amz-date, x-amz-content-sha256 and Authorization. */
    async headers(method: string, url: string, headers: Record<string, string>, now: number) {
      const datetime = amzDate(now)
      const out: Record<string, string> = { 'x-amz-date': datetime, 'x-amz-content-sha256': UNSIGNED }
      for (const [name, value] of Object.entries(headers)) out[name.toLowerCase()] = value
      const target = new URL(url)
      const s = await signature(method, target, { ...out, host: target.host }, datetime)
      out.authorization = `${ALGORITHM} Credential=${creds.accessKeyId}/${s.scope}, SignedHeaders=${s.names.join(';')}, Signature=${s.signature}`
      return out
    },

    /** `url` (with its X-Amz-Expires) presigned for a GET at `now`. */
    async presign(url: URL, now: number) {
      const datetime = amzDate(now)
      const scope = `${datetime.slice(0, 8)}/${creds.region}/s3/aws4_request`
      url.searchParams.set('X-Amz-Date', datetime)
      url.searchParams.set('X-Amz-Algorithm', ALGORITHM)
      url.searchParams.set('X-Amz-Credential', `${creds.accessKeyId}/${scope}`)
      url.searchParams.set('X-Amz-SignedHeaders', 'host')
      const s = await signature('GET', url, { host: url.host }, datetime)
      url.searchParams.set('X-Amz-Signature', s.signature)
      return url.toString()
    },
  }
}
