import { createHash } from 'node:crypto'
import fs from 'node:fs/promises'
import http from 'node:http'
import path from 'node:path'

/** What the local S3 fake reads from s3rver's store directly: uploads in progress, parts, objects. */

/**
 * s3rver routes no path with an empty segment (`a//b.csv` is a plain 404) and keeps keys as file paths,
 * which would fold `a//b.csv` into `a/b.csv`; real S3 keys are any bytes. The front hands s3rver each
 * empty segment (but a trailing one, which s3rver takes) under this name, one s3rver's own file names
 * (`._S3rver_object`) already keep out of keys.
 */
export const EMPTY_SEGMENT = '._S3rver_empty_segment'

/** Key segments (URL-encoded, as in the request path) as s3rver stores them. */
export const backendSegments = (segments: string[]) =>
  segments.map((s, i) => (s === '' && i < segments.length - 1 ? EMPTY_SEGMENT : s))

/** A key as s3rver stored it → the key the client gave. */
const clientKey = (stored: string) =>
  stored
    .split('/')
    .map((s) => (s === EMPTY_SEGMENT ? '' : s))
    .join('/')

const FIVE_MIB = 5 * 1024 * 1024

/** S3's checks on CompleteMultipartUpload that s3rver leaves out. */
export async function checkCompletion(
  dir: string,
  xml: string,
): Promise<{ code: string; message: string } | undefined> {
  const parts = [...xml.matchAll(/<Part>([\s\S]*?)<\/Part>/g)].map((m) => ({
    number: Number(/<PartNumber>(\d+)<\/PartNumber>/.exec(m[1] ?? '')?.[1]),
    etag: (/<ETag>([^<]*)<\/ETag>/.exec(m[1] ?? '')?.[1] ?? '').replace(/&quot;|"/g, ''),
  }))
  if (parts.length === 0) return { code: 'MalformedXML', message: 'No parts listed.' }
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!
    if (i > 0 && part.number <= parts[i - 1]!.number) {
      return { code: 'InvalidPartOrder', message: 'The list of parts was not in ascending order.' }
    }
    const file = path.join(dir, String(part.number))
    const md5 = await fs.readFile(`${file}.md5`, 'utf8').catch(() => undefined)
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
  return undefined
}

export async function pendingUploads(dir: string): Promise<{ upload_id: string; key: string | null }[]> {
  const ids = await fs.readdir(dir).catch(() => [] as string[])
  return Promise.all(
    ids.map(async (id) => ({
      upload_id: id,
      key: await fs
        .readFile(path.join(dir, id, 'key'), 'utf8')
        .then(clientKey)
        .catch(() => null),
    })),
  )
}

/** Read an object back as stored (node:http, since fetch would gunzip a gzip object). */
export async function readObject(backend: string, bucket: string, key: string) {
  const encoded = backendSegments(key.split('/').map(encodeURIComponent)).join('/')
  const res = await new Promise<http.IncomingMessage>((resolve, reject) =>
    http.get(`${backend}/${encodeURIComponent(bucket)}/${encoded}`, resolve).on('error', reject),
  )
  if (res.statusCode === 404) {
    res.resume()
    return { exists: false }
  }
  if (res.statusCode !== 200) throw new Error(`reading ${key} failed: ${res.statusCode}`)
  const hash = createHash('sha256')
  const head: Buffer[] = []
  let bytes = 0
  for await (const chunk of res as AsyncIterable<Buffer>) {
    hash.update(chunk)
    if (bytes < 65536) head.push(chunk)
    bytes += chunk.byteLength
  }
  return {
    exists: true,
    bytes,
    sha256: hash.digest('hex'),
    content_type: res.headers['content-type'] ?? null,
    content_encoding: res.headers['content-encoding'] ?? null,
    ...(bytes <= 65536 ? { base64: Buffer.concat(head).toString('base64') } : {}),
  }
}
