import { AwsV4Signer } from 'aws4fetch'
import type { FetchFn } from '../lib/http'
import { readTextCapped } from '../upstream/call'
import { isRetryableStatus } from '../upstream/error'
import { CopyFailure, deadline } from './copy-failure'
import { xmlEscape, xmlText } from './xml'

/** Where and as whom to write. With `endpoint` (R2, MinIO, a local server) URLs are path-style. */
export interface S3Target {
  bucket: string
  region: string
  endpoint: string | undefined
  accessKeyId: string
  secretAccessKey: string
}

/** Object metadata carried over from the source, so a gzip file stays a gzip file. */
export interface ObjectHeaders {
  contentType?: string | undefined
  contentEncoding?: string | undefined
}

/** The S3 calls of a bulk copy. Every method throws `CopyFailure` (side `s3`) on failure. */
export interface S3Client {
  readonly bucket: string
  putObject(key: string, body: BodyInit, headers: ObjectHeaders, signal?: AbortSignal): Promise<void>
  createMultipartUpload(key: string, headers: ObjectHeaders): Promise<string>
  /** Returns the part's ETag. `body` must carry its length (see docs/protocols.md, "Workers"). */
  uploadPart(
    key: string,
    uploadId: string,
    partNumber: number,
    body: BodyInit,
    signal?: AbortSignal,
  ): Promise<string>
  completeMultipartUpload(key: string, uploadId: string, etags: readonly string[]): Promise<void>
  abortMultipartUpload(key: string, uploadId: string): Promise<void>
  /** A presigned GET URL valid for `ttlSeconds` from `now` (ms). */
  presignGet(key: string, ttlSeconds: number, now: number): Promise<string>
}

/** CompleteMultipartUpload may take long for big objects (S3 keeps the connection alive meanwhile). */
const COMPLETE_MIN_TIMEOUT_MS = 300_000

/**
 * A small SigV4 S3 client over `fetch`. It signs with aws4fetch's `AwsV4Signer` and calls `fetch` itself,
 * so a streamed body is never wrapped in a `Request` nor re-sent (aws4fetch's own retries would replay a
 * consumed stream); the copy engine retries whole steps instead. S3 signs such bodies as
 * `UNSIGNED-PAYLOAD`.
 */
export function createS3Client(target: S3Target, fetchFn: FetchFn, timeoutMs: number): S3Client {
  const signingKeys = new Map<string, ArrayBuffer>()

  const objectUrl = (key: string): string => {
    const path = key.split('/').map(encodeSegment).join('/')
    if (target.endpoint)
      return `${target.endpoint.replace(/\/+$/, '')}/${encodeSegment(target.bucket)}/${path}`
    // Bucket names with dots do not match the wildcard TLS certificate of virtual-hosted URLs.
    if (target.bucket.includes('.'))
      return `https://s3.${target.region}.amazonaws.com/${target.bucket}/${path}`
    return `https://${target.bucket}.s3.${target.region}.amazonaws.com/${path}`
  }

  const send = async (
    what: string,
    url: string,
    init: { method: string; headers?: Record<string, string>; body?: BodyInit; signal?: AbortSignal },
    ms: number | undefined,
  ): Promise<Response> => {
    const signer = new AwsV4Signer({
      url,
      method: init.method,
      headers: init.headers ?? {},
      accessKeyId: target.accessKeyId,
      secretAccessKey: target.secretAccessKey,
      service: 's3',
      region: target.region,
      cache: signingKeys,
    })
    const signed = await signer.sign()
    const timer = deadline(ms, init.signal)
    let response: Response
    try {
      response = await fetchFn(signed.url.toString(), {
        method: init.method,
        headers: signed.headers,
        body: init.body ?? null,
        signal: timer.signal,
      })
    } catch (cause) {
      const message = timer.expired() ? `${what}: no answer within ${ms} ms` : `${what}: connection failed`
      throw new CopyFailure('s3', message, { retryable: true, cause })
    } finally {
      timer.clear()
    }
    if (!response.ok) throw await s3Error(what, response)
    return response
  }

  const uploadQuery = (uploadId: string) => `uploadId=${encodeURIComponent(uploadId)}`

  return {
    bucket: target.bucket,

    async putObject(key, body, headers, signal) {
      const res = await send(
        'PutObject',
        objectUrl(key),
        { method: 'PUT', headers: objectHeaders(headers), body, ...(signal ? { signal } : {}) },
        undefined, // the caller's signal carries the transfer deadline
      )
      await res.body?.cancel()
    },

    async createMultipartUpload(key, headers) {
      const res = await send(
        'CreateMultipartUpload',
        `${objectUrl(key)}?uploads`,
        { method: 'POST', headers: objectHeaders(headers) },
        timeoutMs,
      )
      const uploadId = xmlText(await readTextCapped(res), 'UploadId')
      if (!uploadId) {
        throw new CopyFailure('s3', 'CreateMultipartUpload: no UploadId in the answer', { retryable: false })
      }
      return uploadId
    },

    async uploadPart(key, uploadId, partNumber, body, signal) {
      const url = `${objectUrl(key)}?partNumber=${partNumber}&${uploadQuery(uploadId)}`
      const res = await send(
        `UploadPart ${partNumber}`,
        url,
        { method: 'PUT', body, ...(signal ? { signal } : {}) },
        undefined, // the caller's signal carries the transfer deadline
      )
      await res.body?.cancel()
      const etag = res.headers.get('etag')
      if (!etag) throw new CopyFailure('s3', `UploadPart ${partNumber}: no ETag`, { retryable: false })
      return etag
    },

    async completeMultipartUpload(key, uploadId, etags) {
      const parts = etags
        .map((etag, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${xmlEscape(etag)}</ETag></Part>`)
        .join('')
      const body = `<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${parts}</CompleteMultipartUpload>`
      const res = await send(
        'CompleteMultipartUpload',
        `${objectUrl(key)}?${uploadQuery(uploadId)}`,
        { method: 'POST', headers: { 'content-type': 'application/xml' }, body },
        Math.max(timeoutMs, COMPLETE_MIN_TIMEOUT_MS),
      )
      // S3 answers 200 before the work is done and may then report an error in the body.
      const text = await readTextCapped(res)
      if (/<Error>/.test(text) || !/<CompleteMultipartUploadResult[\s>]/.test(text)) {
        const code = xmlText(text, 'Code')
        throw new CopyFailure('s3', `CompleteMultipartUpload: ${code ?? 'unexpected answer'}`, {
          retryable: code === undefined || RETRYABLE_CODES.has(code),
          status: res.status,
          ...(code ? { code } : {}),
        })
      }
    },

    async abortMultipartUpload(key, uploadId) {
      const res = await send(
        'AbortMultipartUpload',
        `${objectUrl(key)}?${uploadQuery(uploadId)}`,
        { method: 'DELETE' },
        timeoutMs,
      )
      await res.body?.cancel()
    },

    async presignGet(key, ttlSeconds, now) {
      const url = new URL(objectUrl(key))
      url.searchParams.set('X-Amz-Expires', String(ttlSeconds))
      const signer = new AwsV4Signer({
        url: url.toString(),
        method: 'GET',
        accessKeyId: target.accessKeyId,
        secretAccessKey: target.secretAccessKey,
        service: 's3',
        region: target.region,
        signQuery: true,
        datetime: amzDate(now),
        cache: signingKeys,
      })
      return (await signer.sign()).url.toString()
    },
  }
}

/** S3 error codes that mean "try again" even when the HTTP status does not say so. */
const RETRYABLE_CODES = new Set(['InternalError', 'SlowDown', 'RequestTimeout', 'ServiceUnavailable'])

async function s3Error(what: string, res: Response): Promise<CopyFailure> {
  const code = xmlText(await readTextCapped(res, 8 * 1024), 'Code')
  return new CopyFailure('s3', `${what}: HTTP ${res.status}${code ? ` ${code}` : ''}`, {
    retryable: isRetryableStatus(res.status) || (code !== undefined && RETRYABLE_CODES.has(code)),
    status: res.status,
    ...(code ? { code } : {}),
  })
}

function objectHeaders(h: ObjectHeaders): Record<string, string> {
  const out: Record<string, string> = {}
  if (h.contentType) out['content-type'] = h.contentType
  if (h.contentEncoding) out['content-encoding'] = h.contentEncoding
  return out
}

/** S3's canonical URI encoding of one key segment (RFC 3986 unreserved characters stay as they are). */
function encodeSegment(segment: string): string {
  return encodeURIComponent(segment).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  )
}

/** `20260301T120000Z`, as SigV4 wants it. */
const amzDate = (ms: number): string => new Date(ms).toISOString().replace(/[:-]|\.\d{3}/g, '')
