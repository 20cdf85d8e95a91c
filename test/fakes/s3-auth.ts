import type http from 'node:http'
import { Hash } from '@smithy/hash-node'
import { SignatureV4 } from '@smithy/signature-v4'
import { S3_CREDENTIALS, S3_REGION } from '../support/constants'

/** Why a request is refused, in S3's words. */
export interface AuthProblem {
  status: number
  code: string
  message: string
}

const problem = (status: number, code: string, message: string): AuthProblem => ({ status, code, message })

/**
 * Recompute a request's SigV4 signature with AWS's own signer (`@smithy/signature-v4`) and compare. Both
 * forms are checked: the `Authorization` header, and presigned query strings (`X-Amz-Signature`, with
 * expiry). Returns undefined when the signature is right.
 */
export async function verifySigV4(req: http.IncomingMessage, url: URL): Promise<AuthProblem | undefined> {
  const authorization = req.headers.authorization
  if (authorization) return verifyHeader(req, url, authorization)
  if (url.searchParams.has('X-Amz-Algorithm')) return verifyQuery(req, url)
  return problem(403, 'AccessDenied', 'Anonymous access is not allowed.')
}

interface Scope {
  accessKeyId: string
  secretAccessKey: string
  region: string
  service: string
}

function scopeOf(credential: string): Scope | AuthProblem {
  const [accessKeyId = '', , region = '', service = '', terminator] = credential.split('/')
  const secretAccessKey = S3_CREDENTIALS[accessKeyId]
  if (secretAccessKey === undefined) {
    return problem(
      403,
      'InvalidAccessKeyId',
      'The AWS Access Key Id you provided does not exist in our records.',
    )
  }
  if (region !== S3_REGION || service !== 's3' || terminator !== 'aws4_request') {
    return problem(
      400,
      'AuthorizationHeaderMalformed',
      `The authorization scope is wrong; expecting ${S3_REGION}/s3.`,
    )
  }
  return { accessKeyId, secretAccessKey, region, service }
}

const signerFor = (scope: Scope) =>
  new SignatureV4({
    credentials: { accessKeyId: scope.accessKeyId, secretAccessKey: scope.secretAccessKey },
    region: scope.region,
    service: scope.service,
    sha256: Hash.bind(null, 'sha256'),
    // S3 encodes the path once and never normalises it; we pass the canonical path ourselves.
    uriEscapePath: false,
    applyChecksum: false,
  })

async function verifyHeader(
  req: http.IncomingMessage,
  url: URL,
  authorization: string,
): Promise<AuthProblem | undefined> {
  const m = /^AWS4-HMAC-SHA256 Credential=([^,]+),\s*SignedHeaders=([^,]+),\s*Signature=([0-9a-f]{64})$/.exec(
    authorization,
  )
  if (!m) return problem(400, 'AuthorizationHeaderMalformed', 'The authorization header is malformed.')
  const [, credential = '', signedList = '', given] = m
  const scope = scopeOf(credential)
  if ('code' in scope) return scope
  const amzDate = header(req, 'x-amz-date')
  if (!amzDate) return problem(403, 'AccessDenied', 'AWS authentication requires a valid x-amz-date header.')
  if (!header(req, 'x-amz-content-sha256')) {
    return problem(400, 'InvalidRequest', 'Missing required header for this request: x-amz-content-sha256.')
  }
  const signedHeaders = signedList.split(';')
  const headers: Record<string, string> = {}
  for (const name of signedHeaders) {
    const value = header(req, name)
    if (value === undefined) return mismatch()
    headers[name] = value
  }
  const signed = await signerFor(scope).sign(
    { ...requestParts(req, url), headers, query: queryOf(url, []) },
    { signingDate: parseAmzDate(amzDate), signableHeaders: new Set(signedHeaders) },
  )
  const expected = /Signature=([0-9a-f]{64})/.exec(String(signed.headers.authorization))?.[1]
  return expected === given ? undefined : mismatch()
}

async function verifyQuery(req: http.IncomingMessage, url: URL): Promise<AuthProblem | undefined> {
  const q = url.searchParams
  const scope = scopeOf(q.get('X-Amz-Credential') ?? '')
  if ('code' in scope) return scope
  const amzDate = q.get('X-Amz-Date') ?? ''
  const expires = Number(q.get('X-Amz-Expires'))
  const signingDate = parseAmzDate(amzDate)
  if (!Number.isInteger(expires) || expires <= 0 || Number.isNaN(signingDate.getTime())) {
    return problem(400, 'AuthorizationQueryParametersError', 'X-Amz-Date and X-Amz-Expires are required.')
  }
  if (Date.now() > signingDate.getTime() + expires * 1000) {
    return problem(403, 'AccessDenied', 'Request has expired')
  }
  const signedHeaders = (q.get('X-Amz-SignedHeaders') ?? '').split(';')
  const headers: Record<string, string> = { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' }
  for (const name of signedHeaders) {
    const value = header(req, name)
    if (value === undefined) return mismatch()
    headers[name] = value
  }
  // Presigned S3 URLs sign UNSIGNED-PAYLOAD; the header only feeds the signer's payload hash.
  const payload = new Set(['x-amz-content-sha256'])
  const presigned = await signerFor(scope).presign(
    { ...requestParts(req, url), headers, query: queryOf(url, ['X-Amz-Signature']) },
    { signingDate, expiresIn: expires, unsignableHeaders: payload, unhoistableHeaders: payload },
  )
  return presigned.query?.['X-Amz-Signature'] === q.get('X-Amz-Signature') ? undefined : mismatch()
}

const mismatch = () =>
  problem(
    403,
    'SignatureDoesNotMatch',
    'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
  )

function requestParts(req: http.IncomingMessage, url: URL) {
  return {
    method: req.method ?? 'GET',
    protocol: 'http:',
    hostname: url.hostname,
    port: Number(url.port),
    path: canonicalPath(url.pathname),
  }
}

/** S3's canonical URI: the decoded path, each byte outside RFC 3986's unreserved set %-encoded once. */
export function canonicalPath(rawPath: string): string {
  let decoded: string
  try {
    decoded = decodeURIComponent(rawPath.replace(/\+/g, ' '))
  } catch {
    decoded = rawPath
  }
  return encodeURIComponent(decoded)
    .replace(/%2F/g, '/')
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
}

function queryOf(url: URL, leaveOut: string[]): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {}
  for (const [k, v] of url.searchParams) {
    if (leaveOut.includes(k)) continue
    const prior = out[k]
    out[k] = prior === undefined ? v : [...(Array.isArray(prior) ? prior : [prior]), v]
  }
  return out
}

function header(req: http.IncomingMessage, name: string): string | undefined {
  if (name === 'host') return req.headers.host
  const v = req.headers[name]
  return Array.isArray(v) ? v.join(',') : v
}

/** `20260301T120000Z` → Date. */
function parseAmzDate(text: string): Date {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text)
  if (!m) return new Date(Number.NaN)
  return new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!))
}
