// sdk-exp.ts

// test/fakes/ci360.ts
import { createHmac, timingSafeEqual } from 'node:crypto'
import http from 'node:http'
import { Readable } from 'node:stream'
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { Upload } from '@aws-sdk/lib-storage'

// test/support/constants.ts
var FIXTURE_TENANT = '6b1f0e2a9c4d30018e7a52c4'
var OTHER_TENANT = '9a8b7c6d5e4f30012a3b4c5d'
var CI360_CLIENT_SECRETS = {
  [FIXTURE_TENANT]: 'FixtureTenantClientSecretForTestsOnly0123456',
  [OTHER_TENANT]: 'OtherTenantClientSecretForTestsOnly012345678',
  '0123456789abcdef01234567': 'ExampleClientSecretForTestsOnly0123456789AB',
}
var CI360_STATIC_TOKEN_PREFIX = 'ci360-static-'
var S3_ACCESS_KEY_ID = 'AKIAFAKEBULKTEST0001'
var S3_SECRET_ACCESS_KEY = 'fakeBulkTestSecret/0123456789abcdefghijKLMN'
var S3_CREDENTIALS = { [S3_ACCESS_KEY_ID]: S3_SECRET_ACCESS_KEY }
var S3_REGION = 'us-east-1'

// test/fakes/scripted.ts
var Scripts = class {
  keys = /* @__PURE__ */ new Map()
  state(key) {
    let s = this.keys.get(key)
    if (!s) {
      s = { queue: [], mode: null, requests: [] }
      this.keys.set(key, s)
    }
    return s
  }
  script(key, responses = [], mode) {
    const s = this.state(key)
    s.queue.push(...responses)
    if (mode !== void 0) s.mode = mode
  }
  reset(key) {
    this.keys.delete(key)
  }
  record(key, r) {
    this.state(key).requests.push(r)
  }
  requests(key) {
    return this.state(key).requests
  }
  /** The behaviour for the next request of `key` (queue first, then the standing mode). */
  next(key) {
    const s = this.state(key)
    return s.queue.shift() ?? s.mode
  }
}
async function readRaw(req) {
  const chunks = []
  for await (const c of req) chunks.push(c)
  return Buffer.concat(chunks).toString('utf8')
}
function headersOf(req) {
  const out = {}
  for (const [k, v] of Object.entries(req.headers))
    if (v !== void 0) out[k] = Array.isArray(v) ? v.join(', ') : v
  return out
}
function sendJson(res, status, body, headers = {}) {
  const text = JSON.stringify(body)
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  })
  res.end(text)
}
async function applyBehaviour(b, req, res) {
  if (!b) return false
  if (b.delayMs) await new Promise((r) => setTimeout(r, b.delayMs))
  if (b.drop) {
    req.socket.destroy()
    return true
  }
  if (b.hang) {
    const timer = setTimeout(() => req.socket.destroy(), b.hangMs ?? 3e4)
    req.socket.once('close', () => clearTimeout(timer))
    return true
  }
  if (b.status !== void 0) {
    if (typeof b.body === 'string') {
      res.writeHead(b.status, { 'content-type': 'text/plain', ...b.headers })
      res.end(b.body)
    } else if (b.body === void 0) {
      res.writeHead(b.status, b.headers ?? {})
      res.end()
    } else {
      sendJson(res, b.status, b.body, b.headers)
    }
    return true
  }
  return false
}
async function handleControl(scripts, req, res, url) {
  if (!url.pathname.startsWith('/__control/')) return false
  const action = url.pathname.slice('/__control/'.length)
  if (req.method === 'GET' && action === 'requests') {
    sendJson(res, 200, scripts.requests(url.searchParams.get('key') ?? ''))
    return true
  }
  const body = JSON.parse((await readRaw(req)) || '{}')
  if (!body.key) {
    sendJson(res, 400, { error: 'key is required' })
    return true
  }
  if (action === 'script') scripts.script(body.key, body.responses, body.mode)
  else if (action === 'reset') scripts.reset(body.key)
  else {
    sendJson(res, 404, { error: `unknown control action ${action}` })
    return true
  }
  sendJson(res, 200, { ok: true })
  return true
}

// test/fakes/ci360.ts
function createFakeCi360() {
  const scripts = new Scripts()
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake')
    if (await handleControl(scripts, req, res, url)) return
    const m = /^(.*)\/marketingGateway\/events$/.exec(url.pathname)
    if (req.method !== 'POST' || !m) {
      sendJson(res, 404, { message: 'Not Found' })
      return
    }
    const key = m[1] ?? ''
    const raw = await readRaw(req)
    const auth = req.headers.authorization ?? ''
    const clientId = verifyToken(auth.startsWith('Bearer ') ? auth.slice(7) : '')
    let body
    try {
      body = JSON.parse(raw)
    } catch {
      body = void 0
    }
    const headers = { ...headersOf(req), client_id: clientId ?? '' }
    scripts.record(key, { at: Date.now(), method: req.method, path: url.pathname, headers, body, raw })
    if (clientId === void 0) {
      sendJson(res, 401, { message: 'Unauthorized' })
      return
    }
    if (await applyBehaviour(scripts.next(key), req, res)) return
    if (!req.headers['content-type']?.startsWith('application/json')) {
      sendJson(res, 415, { message: 'Unsupported Media Type' })
      return
    }
    if (typeof body !== 'object' || body === null || typeof body.eventName !== 'string') {
      sendJson(res, 400, { message: 'eventName is required' })
      return
    }
    res.writeHead(201, { 'content-type': 'application/json' })
    res.end('{}')
  })
  return { server, scripts }
}
function verifyToken(token) {
  if (token.startsWith(CI360_STATIC_TOKEN_PREFIX)) return 'static'
  const parts = token.split('.')
  if (parts.length !== 3) return void 0
  const [header2, payload, signature] = parts
  let clientId
  try {
    clientId = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')).clientID
  } catch {
    return void 0
  }
  if (typeof clientId !== 'string') return void 0
  const secret = CI360_CLIENT_SECRETS[clientId]
  if (!secret) return void 0
  const key = Buffer.from(secret, 'utf8').toString('base64')
  const expected = createHmac('sha256', key).update(`${header2}.${payload}`).digest()
  const given = Buffer.from(signature, 'base64url')
  return given.length === expected.length && timingSafeEqual(given, expected) ? clientId : void 0
}

// test/fakes/s3.ts
import { createHash } from 'node:crypto'
import fs from 'node:fs/promises'
import http2 from 'node:http'
import os from 'node:os'
import path from 'node:path'
// test/fakes/s3-auth.ts
import { Hash } from '@smithy/hash-node'
import { SignatureV4 } from '@smithy/signature-v4'
import S3rver from 's3rver'

var problem = (status, code, message) => ({ status, code, message })
async function verifySigV4(req, url) {
  const authorization = req.headers.authorization
  if (authorization) return verifyHeader(req, url, authorization)
  if (url.searchParams.has('X-Amz-Algorithm')) return verifyQuery(req, url)
  return problem(403, 'AccessDenied', 'Anonymous access is not allowed.')
}
function scopeOf(credential) {
  const [accessKeyId = '', , region = '', service = '', terminator] = credential.split('/')
  const secretAccessKey = S3_CREDENTIALS[accessKeyId]
  if (secretAccessKey === void 0) {
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
var signerFor = (scope) =>
  new SignatureV4({
    credentials: { accessKeyId: scope.accessKeyId, secretAccessKey: scope.secretAccessKey },
    region: scope.region,
    service: scope.service,
    sha256: Hash.bind(null, 'sha256'),
    // S3 encodes the path once and never normalises it; we pass the canonical path ourselves.
    uriEscapePath: false,
    applyChecksum: false,
  })
async function verifyHeader(req, url, authorization) {
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
  const headers = {}
  for (const name of signedHeaders) {
    const value = header(req, name)
    if (value === void 0) return mismatch()
    headers[name] = value
  }
  const signed = await signerFor(scope).sign(
    { ...requestParts(req, url), headers, query: queryOf(url, []) },
    { signingDate: parseAmzDate(amzDate), signableHeaders: new Set(signedHeaders) },
  )
  const expected = /Signature=([0-9a-f]{64})/.exec(String(signed.headers.authorization))?.[1]
  return expected === given ? void 0 : mismatch()
}
async function verifyQuery(req, url) {
  const q = url.searchParams
  const scope = scopeOf(q.get('X-Amz-Credential') ?? '')
  if ('code' in scope) return scope
  const amzDate = q.get('X-Amz-Date') ?? ''
  const expires = Number(q.get('X-Amz-Expires'))
  const signingDate = parseAmzDate(amzDate)
  if (!Number.isInteger(expires) || expires <= 0 || Number.isNaN(signingDate.getTime())) {
    return problem(400, 'AuthorizationQueryParametersError', 'X-Amz-Date and X-Amz-Expires are required.')
  }
  if (Date.now() > signingDate.getTime() + expires * 1e3) {
    return problem(403, 'AccessDenied', 'Request has expired')
  }
  const signedHeaders = (q.get('X-Amz-SignedHeaders') ?? '').split(';')
  const headers = { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' }
  for (const name of signedHeaders) {
    const value = header(req, name)
    if (value === void 0) return mismatch()
    headers[name] = value
  }
  const payload = /* @__PURE__ */ new Set(['x-amz-content-sha256'])
  const presigned = await signerFor(scope).presign(
    { ...requestParts(req, url), headers, query: queryOf(url, ['X-Amz-Signature']) },
    { signingDate, expiresIn: expires, unsignableHeaders: payload, unhoistableHeaders: payload },
  )
  return presigned.query?.['X-Amz-Signature'] === q.get('X-Amz-Signature') ? void 0 : mismatch()
}
var mismatch = () =>
  problem(
    403,
    'SignatureDoesNotMatch',
    'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
  )
function requestParts(req, url) {
  return {
    method: req.method ?? 'GET',
    protocol: 'http:',
    hostname: url.hostname,
    port: Number(url.port),
    path: canonicalPath(url.pathname),
  }
}
function canonicalPath(rawPath) {
  let decoded
  try {
    decoded = decodeURIComponent(rawPath.replace(/\+/g, ' '))
  } catch {
    decoded = rawPath
  }
  return encodeURIComponent(decoded)
    .replace(/%2F/g, '/')
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
}
function queryOf(url, leaveOut) {
  const out = {}
  for (const [k, v] of url.searchParams) {
    if (leaveOut.includes(k)) continue
    const prior = out[k]
    out[k] = prior === void 0 ? v : [...(Array.isArray(prior) ? prior : [prior]), v]
  }
  return out
}
function header(req, name) {
  if (name === 'host') return req.headers.host
  const v = req.headers[name]
  return Array.isArray(v) ? v.join(',') : v
}
function parseAmzDate(text) {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text)
  if (!m) return new Date(Number.NaN)
  return new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]))
}

// test/fakes/s3.ts
function createFakeS3() {
  const directory = path.join(os.tmpdir(), `fake-s3-${process.pid}-${Date.now()}`)
  const s3rver = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory })
  let backend = ''
  const log = new Scripts()
  const faults = /* @__PURE__ */ new Map()
  const uploadDir = (bucket, uploadId) =>
    path.join(directory, bucket, '._S3rver_uploads', path.basename(uploadId))
  const server = http2.createServer((req, res) => {
    handle(req, res).catch((e) => {
      if (!res.headersSent) sendXmlError(res, 500, 'InternalError', String(e))
      else res.destroy()
    })
  })
  async function handle(req, res) {
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
    if (req.method === 'PUT' && req.headers['content-length'] === void 0) {
      return refuse(req, res, 411, 'MissingContentLength', 'You must provide the Content-Length HTTP header.')
    }
    const fault = takeFault(faults, bucket, op, partNumber)
    if (fault) {
      if (fault.status === 200) {
        await readBody(req)
        res.writeHead(200, { 'content-type': 'application/xml' })
        res.end(
          `<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>${fault.code}</Code><Message>injected</Message></Error>`,
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
    let body
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
    forward(req, res, url, body)
  }
  function forward(req, res, url, body) {
    for (const k of [...url.searchParams.keys()]) if (k.startsWith('X-Amz-')) url.searchParams.delete(k)
    const headers = pick(req.headers, ['content-length', 'content-type', 'content-encoding', 'range'])
    const upstream = http2.request(
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
  async function control(req, res, url) {
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
    const input = JSON.parse((await readRaw(req)) || '{}')
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
function takeFault(faults, bucket, op, partNumber) {
  const fault = faults
    .get(bucket)
    ?.find((f2) => f2.times > 0 && f2.op === op && (f2.partNumber === void 0 || f2.partNumber === partNumber))
  if (fault) fault.times--
  return fault
}
function operationOf(method, url, hasKey) {
  const q = url.searchParams
  if (!hasKey) return `bucket-${method.toLowerCase()}`
  if (method === 'POST' && q.has('uploads')) return 'create'
  if (method === 'POST' && q.has('uploadId')) return 'complete'
  if (method === 'PUT' && q.has('uploadId')) return 'part'
  if (method === 'DELETE' && q.has('uploadId')) return 'abort'
  if (method === 'PUT') return 'put'
  return method.toLowerCase()
}
var FIVE_MIB = 5 * 1024 * 1024
async function checkCompletion(dir, xml) {
  const parts = [...xml.matchAll(/<Part>([\s\S]*?)<\/Part>/g)].map((m) => ({
    number: Number(/<PartNumber>(\d+)<\/PartNumber>/.exec(m[1] ?? '')?.[1]),
    etag: (/<ETag>([^<]*)<\/ETag>/.exec(m[1] ?? '')?.[1] ?? '').replace(/&quot;|"/g, ''),
  }))
  if (parts.length === 0) return { code: 'MalformedXML', message: 'No parts listed.' }
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]
    if (i > 0 && part.number <= parts[i - 1].number) {
      return { code: 'InvalidPartOrder', message: 'The list of parts was not in ascending order.' }
    }
    const file = path.join(dir, String(part.number))
    const md5 = await fs.readFile(`${file}.md5`, 'utf8').catch(() => void 0)
    if (md5 !== part.etag)
      return { code: 'InvalidPart', message: `Part ${part.number} was not found or its ETag differs.` }
    const { size } = await fs.stat(file)
    if (i < parts.length - 1 && size < FIVE_MIB) {
      return {
        code: 'EntityTooSmall',
        message: 'Your proposed upload is smaller than the minimum allowed size.',
      }
    }
  }
  return void 0
}
async function pendingUploads(dir) {
  const ids = await fs.readdir(dir).catch(() => [])
  return Promise.all(
    ids.map(async (id) => ({
      upload_id: id,
      key: await fs.readFile(path.join(dir, id, 'key'), 'utf8').catch(() => null),
    })),
  )
}
async function readObject(backend, bucket, key) {
  const encoded = key.split('/').map(encodeURIComponent).join('/')
  const res = await fetch(`${backend}/${encodeURIComponent(bucket)}/${encoded}`)
  if (res.status === 404) return { exists: false }
  if (!res.ok || !res.body) throw new Error(`reading ${key} failed: ${res.status}`)
  const hash = createHash('sha256')
  const head = []
  let bytes = 0
  for await (const chunk of res.body) {
    hash.update(chunk)
    if (bytes < 65536) head.push(Buffer.from(chunk))
    bytes += chunk.byteLength
  }
  return {
    exists: true,
    bytes,
    sha256: hash.digest('hex'),
    content_type: res.headers.get('content-type'),
    content_encoding: res.headers.get('content-encoding'),
    ...(bytes <= 65536 ? { base64: Buffer.concat(head).toString('base64') } : {}),
  }
}
async function refuse(req, res, status, code, message) {
  await readBody(req).catch(() => void 0)
  sendXmlError(res, status, code, message)
}
async function readBody(req) {
  const chunks = []
  for await (const c of req) chunks.push(c)
  return Buffer.concat(chunks)
}
function sendXmlError(res, status, code, message) {
  const text = `<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>${code}</Code><Message>${message}</Message><RequestId>fake</RequestId></Error>`
  res.writeHead(status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}
function pick(headers, names) {
  const out = {}
  for (const n of names) {
    const v = headers[n]
    if (v !== void 0) out[n] = Array.isArray(v) ? v.join(',') : v
  }
  return out
}
async function exists(file) {
  return fs.stat(file).then(
    () => true,
    () => false,
  )
}

// test/fakes/scg.ts
import { randomBytes } from 'node:crypto'
import http3 from 'node:http'

var SCG_SEND_PATH = '/scg-external-api/api/v1/messaging/message_requests'
function scgId() {
  return randomBytes(16).toString('base64url').slice(0, 22)
}
function createFakeScg() {
  const scripts = new Scripts()
  const server = http3.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake')
    if (await handleControl(scripts, req, res, url)) return
    if (req.method !== 'POST' || url.pathname.replace(/\/$/, '') !== SCG_SEND_PATH) {
      sendJson(res, 404, { error_code: '4040', error_description: 'Resource not found' })
      return
    }
    const raw = await readRaw(req)
    const auth = req.headers.authorization ?? ''
    const token = auth.startsWith('Bearer ') ? auth.slice(7) : ''
    let body
    try {
      body = JSON.parse(raw)
    } catch {
      body = void 0
    }
    scripts.record(token, {
      at: Date.now(),
      method: req.method,
      path: url.pathname,
      headers: headersOf(req),
      body,
      raw,
    })
    if (!token.startsWith('scg-')) {
      sendJson(res, 401, { error_code: '4010', error_description: 'Token unauthorized for resource' })
      return
    }
    if (await applyBehaviour(scripts.next(token), req, res)) return
    const problem2 = checkMessageRequest(req.headers['content-type'], body)
    if (problem2) {
      sendJson(res, 400, { error_code: 'SCG_ERROR_40025', error_description: `Invalid payload: ${problem2}` })
      return
    }
    sendJson(res, 200, { id: scgId() })
  })
  return { server, scripts }
}
function checkMessageRequest(contentType, body) {
  if (!contentType?.startsWith('application/json')) return 'content-type must be application/json'
  if (typeof body !== 'object' || body === null) return 'body must be a JSON object'
  const b = body
  if (typeof b.from !== 'string' || b.from === '') return 'from must be a non-empty string'
  if (!Array.isArray(b.to) || b.to.length === 0 || !b.to.every((t) => typeof t === 'string' && t !== '')) {
    return 'to must be a non-empty array of strings'
  }
  if (typeof b.body !== 'string' || b.body === '') return 'body must be a non-empty string'
  if (
    b.media_urls !== void 0 &&
    (!Array.isArray(b.media_urls) || !b.media_urls.every((u) => typeof u === 'string'))
  ) {
    return 'media_urls must be an array of strings'
  }
  if (b.external_id !== void 0 && typeof b.external_id !== 'string') return 'external_id must be a string'
  return void 0
}

// test/fakes/source.ts
import { createCipheriv, createHash as createHash2 } from 'node:crypto'
import { readFileSync } from 'node:fs'
import http4 from 'node:http'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'

function createFakeSource() {
  const scripts = new Scripts()
  const failedOnce = /* @__PURE__ */ new Set()
  const server = http4.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://source')
    if (url.pathname === '/__control/digest') {
      const target = new URL(url.searchParams.get('path') ?? '/', 'http://source')
      const file2 = fileFor(target)
      const hash = createHash2('sha256')
      for (const chunk of file2.read(0, file2.size - 1)) hash.update(chunk)
      return sendJson(res, 200, { bytes: file2.size, sha256: hash.digest('hex') })
    }
    if (await handleControl(scripts, req, res, url)) return
    const key = url.pathname.split('/')[1] ?? ''
    const q = url.searchParams
    const range = req.headers.range
    const record = (status2) =>
      scripts.record(key, {
        at: Date.now(),
        method: req.method ?? 'GET',
        path: url.pathname,
        headers: range ? { range } : {},
        body: { status: status2 },
        raw: '',
      })
    const forced = Number(q.get('status') ?? 0)
    if (forced) {
      record(forced)
      res.writeHead(forced, { 'content-type': 'application/xml' })
      res.end('<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>')
      return
    }
    const file = fileFor(url)
    const headers = { 'content-type': file.contentType }
    if (file.contentEncoding) headers['content-encoding'] = file.contentEncoding
    const ranges = q.get('ranges') !== '0'
    const asked = ranges ? parseRange(range, file.size) : void 0
    if (asked === 'unsatisfiable') {
      record(416)
      res.writeHead(416, { 'content-range': `bytes */${file.size}` })
      res.end()
      return
    }
    const [start, end] = asked ?? [0, file.size - 1]
    const failAt = q.get('fail')
    if (asked && failAt !== null && Number(failAt) === start && !failedOnce.has(`${url.pathname}@${start}`)) {
      failedOnce.add(`${url.pathname}@${start}`)
      record(500)
      res.writeHead(500, { 'content-type': 'text/plain' })
      res.end('injected failure')
      return
    }
    const status = asked ? 206 : 200
    record(status)
    if (asked) headers['content-range'] = `bytes ${start}-${end}/${file.size}`
    if (!(q.get('nolength') === '1' && !asked)) headers['content-length'] = String(end - start + 1)
    res.writeHead(status, headers)
    const cut = q.get('cut') === null ? void 0 : Number(q.get('cut'))
    let sent = start
    for (const chunk of file.read(start, end)) {
      if (cut !== void 0 && sent + chunk.byteLength > cut) {
        if (cut > sent) res.write(chunk.subarray(0, cut - sent))
        setTimeout(() => req.socket.destroy(), 20)
        return
      }
      sent += chunk.byteLength
      if (!res.write(chunk)) await new Promise((resolve) => res.once('drain', resolve))
      if (res.destroyed) return
    }
    res.end()
  })
  return { server, scripts }
}
var FIXTURES = fileURLToPath(new URL('../fixtures/ci360/', import.meta.url))
var FIXTURE_FILES = {
  'data.csv': { file: 'bulk-data.csv', type: 'text/csv' },
  'metadata.json': { file: 'bulk-metadata.json', type: 'application/json' },
}
var CHUNK = 1024 * 1024
var gzipCache = /* @__PURE__ */ new Map()
function fileFor(url) {
  const parts = url.pathname.split('/')
  if (parts[2] === 'fixture') {
    const fixture = FIXTURE_FILES[parts.at(-1) ?? '']
    if (!fixture) throw new Error(`no fixture for ${url.pathname}`)
    return bufferFile(readFileSync(FIXTURES + fixture.file), fixture.type)
  }
  const size = Number(url.searchParams.get('size') ?? 0)
  const seed = url.pathname
  if (url.searchParams.get('gzip') === '1') {
    let gz = gzipCache.get(`${seed}:${size}`)
    if (!gz) {
      gz = gzipSync(Buffer.concat([...keystream(seed, 0, size - 1)]))
      gzipCache.set(`${seed}:${size}`, gz)
    }
    return { ...bufferFile(gz, 'text/csv'), contentEncoding: 'gzip' }
  }
  return { size, contentType: 'application/octet-stream', read: (start, end) => keystream(seed, start, end) }
}
function bufferFile(data, contentType) {
  return {
    size: data.byteLength,
    contentType,
    *read(start, end) {
      for (let at = start; at <= end; at += CHUNK) yield data.subarray(at, Math.min(at + CHUNK, end + 1))
    },
  }
}
function* keystream(seed, start, end) {
  if (end < start) return
  const key = createHash2('sha256').update(seed).digest().subarray(0, 16)
  const block = Math.floor(start / 16)
  const iv = Buffer.alloc(16)
  iv.writeBigUInt64BE(BigInt(block), 8)
  const cipher = createCipheriv('aes-128-ctr', key, iv)
  let skip = start - block * 16
  for (let at = block * 16; at <= end; at += CHUNK) {
    const length = Math.min(CHUNK, end + 1 - at)
    const out = cipher.update(Buffer.alloc(length))
    yield skip > 0 ? out.subarray(skip) : out
    skip = 0
  }
}
function parseRange(header2, size) {
  const m = /^bytes=(\d+)-(\d*)$/.exec(header2 ?? '')
  if (!m) return void 0
  const start = Number(m[1])
  if (start >= size) return 'unsatisfiable'
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1)
  return [start, end]
}

// test/fakes/index.ts
async function startFakes() {
  const servers = []
  const listen = async (server) => {
    servers.push(server)
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
    const address = server.address()
    return `http://127.0.0.1:${address.port}`
  }
  const s32 = createFakeS3()
  await s32.start()
  const urls = {
    scg: await listen(createFakeScg().server),
    ci360: await listen(createFakeCi360().server),
    s3: await listen(s32.server),
    source: await listen(createFakeSource().server),
  }
  return {
    urls,
    close: async () => {
      await s32.close()
      await Promise.all(
        servers.map(
          (s) =>
            new Promise((resolve) => {
              s.closeAllConnections()
              s.close(() => resolve())
            }),
        ),
      )
    },
  }
}

// sdk-exp.ts
var f = await startFakes()
console.log(f.urls)
await fetch(`${f.urls.s3}/__control/bucket`, { method: 'POST', body: JSON.stringify({ name: 'bench' }) })
var mk = (secret) =>
  new S3Client({
    endpoint: f.urls.s3,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: S3_ACCESS_KEY_ID, secretAccessKey: secret },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  })
var s3 = mk(S3_SECRET_ACCESS_KEY)
console.log(
  (await s3.send(new PutObjectCommand({ Bucket: 'bench', Key: 'a b/c+d.txt', Body: 'hello' }))).ETag,
)
try {
  await mk('wrong').send(new PutObjectCommand({ Bucket: 'bench', Key: 'x', Body: 'hello' }))
} catch (e) {
  console.log('wrong secret ->', e.name, e.$metadata?.httpStatusCode)
}
var src = await fetch(`${f.urls.source}/k1/file.bin?size=${20 * 1024 * 1024 + 5}`)
var up = new Upload({
  client: s3,
  params: { Bucket: 'bench', Key: 'big.bin', Body: Readable.fromWeb(src.body) },
  partSize: 5 * 1024 * 1024,
  queueSize: 4,
})
await up.done()
console.log(await (await fetch(`${f.urls.s3}/__control/object?bucket=bench&key=big.bin`)).json())
console.log(
  await (
    await fetch(
      `${f.urls.source}/__control/digest?path=${encodeURIComponent(`/k1/file.bin?size=${20 * 1024 * 1024 + 5}`)}`,
    )
  ).json(),
)
console.log(
  await (
    await fetch(`${f.urls.s3}/__control/object?bucket=bench&key=${encodeURIComponent('a b/c+d.txt')}`)
  ).json(),
)
console.log(await (await fetch(`${f.urls.s3}/__control/uploads?bucket=bench`)).json())
console.log(
  (await (await fetch(`${f.urls.s3}/__control/requests?key=bench`)).json())
    .map((r) => `${r.method} ${r.body.op} ${JSON.stringify(r.headers)}`)
    .join('\n'),
)
await f.close()
