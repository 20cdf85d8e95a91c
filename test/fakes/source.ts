import { createCipheriv, createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import http from 'node:http'
import { gzipSync } from 'node:zlib'
import { fixturePath } from './fixture-path'
import { handleControl, Scripts, sendJson } from './scripted'

/**
 * Plays CI360's presigned file URLs: `GET /<key>/<name>?<options>`, where `<key>` (first path segment)
 * keys the request log and the one-shot faults, so tests never share state. Content is generated:
 * `size` bytes of a keystream seeded by the path, so any range can be produced without storing files.
 *
 * Options (query): `size=N`; `ranges=0` ignores Range (200, whole file); `nolength=1` omits
 * Content-Length (200 mode); `fail=<start>` answers 500 once to the range starting there;
 * `cut=<offset>` drops the connection when a response reaches that byte (every time); `status=N`
 * always answers N; `expire=<offset>` answers 403 (an expired presigned URL) to ranges starting at or
 * past that byte; `redirect=<url>` answers 302 to that URL; `pace=<ms>` waits that long before each 1 MiB chunk (a slow source); `gzip=1` serves gzip bytes with `Content-Encoding: gzip`.
 * `/<key>/fixture/.../data.csv` and `.../metadata.json` serve the shared bulk fixtures.
 *
 * Control: `GET /__control/requests?key=` (method, range, status) and
 * `GET /__control/digest?path=<path with query>` → `{bytes, sha256}` of what that URL serves whole.
 */
export function createFakeSource() {
  const scripts = new Scripts()
  const failedOnce = new Set<string>()
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://source')
    if (url.pathname === '/__control/digest') {
      const target = new URL(url.searchParams.get('path') ?? '/', 'http://source')
      const file = fileFor(target)
      const hash = createHash('sha256')
      for (const chunk of file.read(0, file.size - 1)) hash.update(chunk)
      return sendJson(res, 200, { bytes: file.size, sha256: hash.digest('hex') })
    }
    if (await handleControl(scripts, req, res, url)) return
    const key = url.pathname.split('/')[1] ?? ''
    const q = url.searchParams
    const range = req.headers.range
    const record = (status: number) =>
      scripts.record(key, {
        at: Date.now(),
        method: req.method ?? 'GET',
        path: url.pathname,
        headers: range ? { range } : {},
        body: { status },
        raw: '',
      })

    const redirect = q.get('redirect')
    if (redirect !== null) {
      record(302)
      res.writeHead(302, { location: redirect })
      res.end()
      return
    }
    const expireAt = q.get('expire')
    const rangeStart = /^bytes=(\d+)-/.exec(range ?? '')?.[1]
    const expired = expireAt !== null && rangeStart !== undefined && Number(rangeStart) >= Number(expireAt)
    const forced = expired ? 403 : Number(q.get('status') ?? 0)
    if (forced) {
      record(forced)
      res.writeHead(forced, { 'content-type': 'application/xml' })
      res.end('<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>')
      return
    }
    const file = fileFor(url)
    const headers: Record<string, string> = { 'content-type': file.contentType }
    if (file.contentEncoding) headers['content-encoding'] = file.contentEncoding
    const ranges = q.get('ranges') !== '0'
    const asked = ranges ? parseRange(range, file.size) : undefined
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
    const cut = q.get('cut') === null ? undefined : Number(q.get('cut'))
    let sent = start
    const pace = Number(q.get('pace') ?? 0)
    for (const chunk of file.read(start, end)) {
      if (pace > 0) await new Promise((resolve) => setTimeout(resolve, pace))
      if (cut !== undefined && sent + chunk.byteLength > cut) {
        if (cut > sent) res.write(chunk.subarray(0, cut - sent))
        // Let the partial body leave before the connection dies.
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

/** A servable file: its size and a reader of any inclusive byte range, in chunks. */
interface SourceFile {
  size: number
  contentType: string
  contentEncoding?: string
  read(start: number, end: number): Iterable<Buffer>
}

const FIXTURES = `${fixturePath('ci360')}/`
const FIXTURE_FILES: Record<string, { file: string; type: string }> = {
  'data.csv': { file: 'bulk-data.csv', type: 'text/csv' },
  'metadata.json': { file: 'bulk-metadata.json', type: 'application/json' },
}
const CHUNK = 1024 * 1024
const gzipCache = new Map<string, Buffer>()

function fileFor(url: URL): SourceFile {
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

function bufferFile(data: Buffer, contentType: string): SourceFile {
  return {
    size: data.byteLength,
    contentType,
    *read(start, end) {
      for (let at = start; at <= end; at += CHUNK) yield data.subarray(at, Math.min(at + CHUNK, end + 1))
    },
  }
}

/** Bytes `start..end` of an AES-128-CTR keystream keyed by `seed`: random-looking, reproducible, seekable. */
export function* keystream(seed: string, start: number, end: number): Generator<Buffer> {
  if (end < start) return
  const key = createHash('sha256').update(seed).digest().subarray(0, 16)
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

/** `bytes=a-b` / `bytes=a-` → [start, end]; undefined when absent; 'unsatisfiable' past the end. */
function parseRange(
  header: string | undefined,
  size: number,
): [number, number] | 'unsatisfiable' | undefined {
  const m = /^bytes=(\d+)-(\d*)$/.exec(header ?? '')
  if (!m) return undefined
  const start = Number(m[1])
  if (start >= size) return 'unsatisfiable'
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1)
  return [start, end]
}
