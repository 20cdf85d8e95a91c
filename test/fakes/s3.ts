import { createHash } from 'node:crypto'
import fs from 'node:fs/promises'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import S3rver from 's3rver'
import { verifySigV4 } from './s3-auth'
import { backendSegments, checkCompletion, pendingUploads, readObject } from './s3-store'
import { readRaw, Scripts, sendJson } from './scripted'

/**
 * A local S3: s3rver (real S3 wire format, objects on disk) behind a front that does what s3rver does not:
 * - checks every SigV4 signature with AWS's signer (s3-auth.ts): a wrong secret gets 403
 *   `SignatureDoesNotMatch`; a hex `x-amz-content-sha256` is checked against the body;
 * - refuses PUTs without Content-Length (411 `MissingContentLength`, as S3 does for chunked bodies);
 * - implements AbortMultipartUpload, `NoSuchUpload`, and CompleteMultipartUpload's checks
 *   (`InvalidPartOrder`, `InvalidPart`, `EntityTooSmall` for non-last parts under 5 MiB);
 * - answers 400 `KeyTooLongError` to keys with a segment over 240 bytes (s3rver would crash on them);
 * - takes keys with empty segments (`a//b.csv`), as S3 does, which s3rver alone answers 404 (s3-store.ts);
 * - injects faults per bucket, and answers control routes for the tests:
 *   POST /__control/bucket {name}                       create a bucket (one per test)
 *   POST /__control/fault {bucket, op, partNumber?, status, code, times?}  op: put|create|part|complete|abort
 *   GET  /__control/uploads?bucket=                      pending multipart uploads [{upload_id, key}]
 *   GET  /__control/object?bucket=&key=                  {exists, bytes, sha256, content_type, content_encoding, base64?}
 *   GET  /__control/requests?key=<bucket>                the request log (op, part, lengths)
 */
/** Longest key segment the stand-in stores: 255-byte file names minus s3rver's `._S3rver_object`. */
export const MAX_SEGMENT_BYTES = 240

export function createFakeS3() {
  const directory = path.join(os.tmpdir(), `fake-s3-${process.pid}-${Date.now()}`)
  const s3rver = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory })
  let backend = ''
  const log = new Scripts()
  const faults = new Map<string, Fault[]>()

  const uploadDir = (bucket: string, uploadId: string) =>
    path.join(directory, bucket, '._S3rver_uploads', path.basename(uploadId))

  const server = http.createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) sendXmlError(res, 500, 'InternalError', String(e))
      else res.destroy()
    })
  })

  async function handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const url = new URL(req.url ?? '/', `http://${req.headers.host}`)
    if (url.pathname.startsWith('/__control/')) return control(req, res, url)
    const [, bucket = '', ...keyParts] = url.pathname.split('/')
    const op = operationOf(req.method ?? 'GET', url, keyParts.length > 0)
    const partNumber = Number(url.searchParams.get('partNumber') ?? 0)
    log.record(bucket, {
      at: Date.now(),
      method: req.method ?? 'GET',
      path: url.pathname,
      headers: pick(req.headers, ['content-length', 'transfer-encoding', 'content-type', 'content-encoding']),
      body: { op, partNumber },
      raw: '',
    })

    const denied = await verifySigV4(req, url)
    if (denied) return refuse(req, res, denied.status, denied.code, denied.message)
    if (req.method === 'PUT' && req.headers['content-length'] === undefined) {
      return refuse(req, res, 411, 'MissingContentLength', 'You must provide the Content-Length HTTP header.')
    }
    // s3rver keeps each key segment as a file name (plus a 15-byte suffix); the file system allows 255
    // bytes, and an over-long name would crash s3rver's process. Real S3 takes such keys: the stand-in
    // answers an S3-shaped error instead.
    if (keyParts.some((segment) => Buffer.byteLength(decodeURIComponent(segment)) > MAX_SEGMENT_BYTES)) {
      return refuse(
        req,
        res,
        400,
        'KeyTooLongError',
        `Key segments over ${MAX_SEGMENT_BYTES} bytes are not supported locally.`,
      )
    }
    const fault = takeFault(faults, bucket, op, partNumber)
    if (fault) {
      if (fault.status === 200) {
        // CompleteMultipartUpload's worst case: 200, then an error document.
        await readBody(req)
        res.writeHead(200, { 'content-type': 'application/xml' })
        res.end(
          `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${fault.code}</Code><Message>injected</Message></Error>`,
        )
        return
      }
      return refuse(req, res, fault.status, fault.code, 'injected fault')
    }
    const uploadId = url.searchParams.get('uploadId')
    if (uploadId !== null && !(await exists(path.join(uploadDir(bucket, uploadId), 'key')))) {
      return refuse(req, res, 404, 'NoSuchUpload', 'The specified upload does not exist.')
    }
    if (op === 'abort' && uploadId !== null) {
      await fs.rm(uploadDir(bucket, uploadId), { recursive: true, force: true })
      res.writeHead(204)
      res.end()
      return
    }
    let body: Buffer | undefined
    const payloadHash = String(req.headers['x-amz-content-sha256'] ?? '')
    if (payloadHash.startsWith('STREAMING-')) {
      return refuse(req, res, 501, 'NotImplemented', 'aws-chunked uploads are not supported here.')
    }
    if (/^[0-9a-f]{64}$/.test(payloadHash)) {
      body = await readBody(req)
      if (createHash('sha256').update(body).digest('hex') !== payloadHash) {
        return sendXmlError(
          res,
          400,
          'XAmzContentSHA256Mismatch',
          'The provided x-amz-content-sha256 does not match.',
        )
      }
    }
    if (op === 'complete' && uploadId !== null) {
      body ??= await readBody(req)
      const bad = await checkCompletion(uploadDir(bucket, uploadId), body.toString('utf8'))
      if (bad) return sendXmlError(res, 400, bad.code, bad.message)
    }
    url.pathname = ['', bucket, ...backendSegments(keyParts)].join('/')
    forward(req, res, url, body)
  }

  function forward(req: http.IncomingMessage, res: http.ServerResponse, url: URL, body: Buffer | undefined) {
    for (const k of [...url.searchParams.keys()]) if (k.startsWith('X-Amz-')) url.searchParams.delete(k)
    const headers = pick(req.headers, ['content-length', 'content-type', 'content-encoding', 'range'])
    const upstream = http.request(
      `${backend}${url.pathname}${url.search}`,
      { method: req.method, headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(res)
      },
    )
    upstream.on('error', () => res.destroy())
    req.on('aborted', () => upstream.destroy())
    if (body) upstream.end(body)
    else req.pipe(upstream)
  }

  async function control(req: http.IncomingMessage, res: http.ServerResponse, url: URL) {
    const action = url.pathname.slice('/__control/'.length)
    const q = url.searchParams
    if (req.method === 'GET' && action === 'requests')
      return sendJson(res, 200, log.requests(q.get('key') ?? ''))
    if (req.method === 'GET' && action === 'uploads') {
      return sendJson(
        res,
        200,
        await pendingUploads(path.join(directory, q.get('bucket') ?? '', '._S3rver_uploads')),
      )
    }
    if (req.method === 'GET' && action === 'object') {
      return sendJson(res, 200, await readObject(backend, q.get('bucket') ?? '', q.get('key') ?? ''))
    }
    const input = JSON.parse((await readRaw(req)) || '{}') as Record<string, any>
    if (action === 'bucket') {
      const created = await fetch(`${backend}/${encodeURIComponent(String(input.name))}`, { method: 'PUT' })
      return sendJson(res, created.ok ? 200 : 500, { ok: created.ok })
    }
    if (action === 'fault') {
      const list = faults.get(input.bucket) ?? []
      list.push({
        op: input.op,
        partNumber: input.partNumber,
        status: input.status,
        code: input.code,
        times: input.times ?? 1,
      })
      faults.set(input.bucket, list)
      return sendJson(res, 200, { ok: true })
    }
    return sendJson(res, 404, { error: `unknown control action ${action}` })
  }

  return {
    server,
    async start() {
      const address = await s3rver.run()
      backend = `http://127.0.0.1:${address.port}`
    },
    async close() {
      await s3rver.close()
      await fs.rm(directory, { recursive: true, force: true })
    },
  }
}

interface Fault {
  op: string
  partNumber?: number
  status: number
  code: string
  times: number
}

function takeFault(faults: Map<string, Fault[]>, bucket: string, op: string, partNumber: number) {
  const fault = faults
    .get(bucket)
    ?.find((f) => f.times > 0 && f.op === op && (f.partNumber === undefined || f.partNumber === partNumber))
  if (fault) fault.times--
  return fault
}

function operationOf(method: string, url: URL, hasKey: boolean): string {
  const q = url.searchParams
  if (!hasKey) return `bucket-${method.toLowerCase()}`
  if (method === 'POST' && q.has('uploads')) return 'create'
  if (method === 'POST' && q.has('uploadId')) return 'complete'
  if (method === 'PUT' && q.has('uploadId')) return 'part'
  if (method === 'DELETE' && q.has('uploadId')) return 'abort'
  if (method === 'PUT') return 'put'
  return method.toLowerCase()
}

/** Answer an error after reading the whole body, so the client sees the answer, not a reset socket. */
async function refuse(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  status: number,
  code: string,
  message: string,
) {
  await readBody(req).catch(() => undefined)
  sendXmlError(res, status, code, message)
}

async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const c of req) chunks.push(c as Buffer)
  return Buffer.concat(chunks)
}

function sendXmlError(res: http.ServerResponse, status: number, code: string, message: string) {
  const text = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>fake</RequestId></Error>`
  res.writeHead(status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}

function pick(headers: http.IncomingHttpHeaders, names: string[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (const n of names) {
    const v = headers[n]
    if (v !== undefined) out[n] = Array.isArray(v) ? v.join(',') : v
  }
  return out
}

async function exists(file: string): Promise<boolean> {
  return fs.stat(file).then(
    () => true,
    () => false,
  )
}
