import { describe, expect, it } from 'vitest'
import { bulkBody, bulkTenant, MIB, postBulk, s3, source } from '../support/bulk'

const sizes = [
  { name: 'empty', bytes: 0, parts: 1 },
  { name: '1 byte', bytes: 1, parts: 1 },
  { name: 'just under one part', bytes: 5 * MIB - 1, parts: 1 },
  { name: 'exactly one part', bytes: 5 * MIB, parts: 1 },
  { name: 'just over one part', bytes: 5 * MIB + 1, parts: 2 },
  { name: '3.5 parts', bytes: 17.5 * MIB, parts: 4 },
]

describe('bulk S3: the uploaded object is the source, byte for byte', () => {
  for (const mode of ['ranged', 'sequential'] as const) {
    for (const size of sizes) {
      it(`${size.name} (${size.bytes} bytes), ${mode} source`, async () => {
        const bucket = await s3.bucket()
        const key = source.key()
        const url = source.url(key, 'export.csv', {
          size: size.bytes,
          ...(mode === 'sequential' ? { ranges: 0 } : {}),
        })
        const t = bulkTenant(bucket)

        const { res, body } = await postBulk(t, bulkBody(url, 'exports/run-1/audience.csv'))

        expect(res.status).toBe(200)
        expect(body).toEqual({
          status: 'OK',
          upload_filename: 'exports/run-1/audience.csv',
          bucket_name: bucket,
          s3_uri: `s3://${bucket}/exports/run-1/audience.csv`,
          bytes: size.bytes,
          parts: size.parts,
        })
        const stored = await s3.object(bucket, 'exports/run-1/audience.csv')
        expect(stored).toMatchObject({ exists: true, ...(await source.digest(url)) })
        expect(await s3.pendingUploads(bucket)).toEqual([])

        const gets = await source.requests(key)
        if (mode === 'sequential') {
          // One GET, read once: the probe's own 200 answer is the file.
          expect(gets.map((r) => r.body.status)).toEqual([200])
        } else {
          expect(gets[0]?.headers.range).toBe('bytes=0-0')
          const ranges = gets.slice(1).map((r) => r.headers.range)
          const expected = Array.from({ length: size.bytes === 0 ? 0 : size.parts }, (_, i) => {
            const start = i * 5 * MIB
            return `bytes=${start}-${Math.min(start + 5 * MIB, size.bytes) - 1}`
          })
          expect(ranges.sort()).toEqual(expected.sort())
        }
        const ops = (await s3.requests(bucket)).map((r) => r.body.op)
        expect(ops.filter((op) => op === 'part')).toHaveLength(size.parts > 1 ? size.parts : 0)
        expect(ops.filter((op) => op === 'put')).toHaveLength(size.parts > 1 ? 0 : 1)
      })
    }
  }

  it('copies gzip sources as they are, keeping Content-Encoding (both modes, multipart)', async () => {
    for (const ranges of [1, 0]) {
      const bucket = await s3.bucket()
      const url = source.url(source.key(), 'export.csv.gz', { size: 6 * MIB, gzip: 1, ranges })
      const { res, body } = await postBulk(bulkTenant(bucket), bulkBody(url, 'export.csv.gz'))
      const digest = await source.digest(url)

      expect(res.status).toBe(200)
      expect(body).toMatchObject({ bytes: digest.bytes, parts: 2 })
      expect(await s3.object(bucket, 'export.csv.gz')).toMatchObject({
        exists: true,
        ...digest,
        content_encoding: 'gzip',
        content_type: 'text/csv',
      })
    }
  })

  it('copies a source that sends no Content-Length and no ranges, one part at a time', async () => {
    const bucket = await s3.bucket()
    const url = source.url(source.key(), 'export.csv', { size: 11 * MIB, ranges: 0, nolength: 1 })
    const { res, body } = await postBulk(bulkTenant(bucket), bulkBody(url, 'export.csv'))

    expect(res.status).toBe(200)
    expect(body).toMatchObject({ bytes: 11 * MIB, parts: 3 })
    expect(await s3.object(bucket, 'export.csv')).toMatchObject(await source.digest(url))
  })

  it('uploads the metadata file too when s3_metadata_filename is set, under s3_key_prefix', async () => {
    const bucket = await s3.bucket()
    const key = source.key()
    const data = source.url(key, 'data.csv', { size: 7 * MIB })
    const metadata = source.url(key, 'metadata.json', { size: 300 })
    const t = bulkTenant(bucket, { s3_key_prefix: 'ci360/' })

    const { res, body } = await postBulk(
      t,
      bulkBody(data, 'run.csv', {
        presignedUrls: { metadataFile: metadata },
        sendParameters: { s3_metadata_filename: 'run.meta.json' },
      }),
    )

    expect(res.status).toBe(200)
    expect(body).toEqual({
      status: 'OK',
      upload_filename: 'ci360/run.csv',
      bucket_name: bucket,
      s3_uri: `s3://${bucket}/ci360/run.csv`,
      bytes: 7 * MIB,
      parts: 2,
      metadata: {
        upload_filename: 'ci360/run.meta.json',
        s3_uri: `s3://${bucket}/ci360/run.meta.json`,
        bytes: 300,
        parts: 1,
      },
    })
    expect(await s3.object(bucket, 'ci360/run.csv')).toMatchObject(await source.digest(data))
    expect(await s3.object(bucket, 'ci360/run.meta.json')).toMatchObject(await source.digest(metadata))
  })

  it('adds a presigned s3_url only when s3_presign_ttl > 0, and that URL reads the object', async () => {
    const bucket = await s3.bucket()
    const url = source.url(source.key(), 'f.csv', { size: 1000 })

    const without = await postBulk(bulkTenant(bucket), bulkBody(url, 'plain.csv'))
    expect(without.res.status).toBe(200)
    expect(without.body).not.toHaveProperty('s3_url')

    const withUrl = await postBulk(bulkTenant(bucket, { s3_presign_ttl: 600 }), bulkBody(url, 'signed.csv'))
    expect(withUrl.res.status).toBe(200)
    const signed = new URL(withUrl.body.s3_url)
    expect(signed.searchParams.get('X-Amz-Expires')).toBe('600')
    expect(signed.pathname).toBe(`/${bucket}/signed.csv`)
    const download = await fetch(signed)
    expect(download.status).toBe(200)
    const bytes = new Uint8Array(await download.arrayBuffer())
    expect(await sha256Hex(bytes)).toBe((await source.digest(url)).sha256)

    signed.searchParams.set('X-Amz-Expires', '601')
    expect((await fetch(signed)).status).toBe(403)
  })

  it('keeps unusual but safe names as the object key', async () => {
    const bucket = await s3.bucket()
    const url = source.url(source.key(), 'f.csv', { size: 10 })
    const name = 'exports/Q1 2026+(final)/naïve €.csv'
    const { res, body } = await postBulk(bulkTenant(bucket), bulkBody(url, name))

    expect(res.status).toBe(200)
    expect(body.s3_uri).toBe(`s3://${bucket}/${name}`)
    expect(await s3.object(bucket, name)).toMatchObject({ exists: true, bytes: 10 })
  })
})

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))
  return [...digest].map((b) => b.toString(16).padStart(2, '0')).join('')
}
