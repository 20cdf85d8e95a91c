import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { bulkBody, bulkTenant, MIB, postBulk, s3, source } from '../support/bulk'

const LONE = ['\uD800', '\uDBFF', '\uDC00', '\uDFFF'] as const
/** A surrogate not part of a pair (a pair such as U+10000 is fine). */
const hasLoneSurrogate = (s: string) =>
  /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s)

describe('bulk S3: ill-formed file names are refused before anything is fetched', () => {
  for (const field of ['s3_filename', 's3_metadata_filename'] as const) {
    it(`a lone surrogate in ${field} → 400 naming it; no source read, no upload`, async () => {
      const bucket = await s3.bucket()
      const key = source.key()
      const url = source.url(key, 'x.csv', { size: 100 })
      const names = { s3_filename: 'ok.csv', s3_metadata_filename: 'meta.json', [field]: 'bad\uD800name.csv' }
      const body = bulkBody(url, names.s3_filename, {
        presignedUrls: { metadataFile: source.url(key, 'm.json', { size: 10 }) },
        sendParameters: { s3_metadata_filename: names.s3_metadata_filename },
      })

      const { res, body: reply } = await postBulk(bulkTenant(bucket), body)

      expect(res.status).toBe(400)
      expect(reply).toMatchObject({
        status: 'ERROR',
        error: {
          code: 'VALIDATION_FAILED',
          message: `Invalid request: sendParameters.${field}: must be well-formed Unicode text (no lone surrogates)`,
          fields: [`sendParameters.${field}`],
        },
      })
      expect(await source.requests(key)).toEqual([])
      expect(await s3.requests(bucket)).toEqual([])
    })
  }

  it('fuzz: names with lone surrogates and long segments never reach a 500', async () => {
    const bucket = await s3.bucket()
    const t = bulkTenant(bucket)
    const segment = fc.oneof(
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 8 }),
      fc.constantFrom(...LONE),
      fc.integer({ min: 250, max: 320 }).map((n) => 'L'.repeat(n)),
    )
    const name = fc.array(segment, { minLength: 1, maxLength: 3 }).map((p) => p.join('/'))
    await fc.assert(
      fc.asyncProperty(name, fc.boolean(), async (n, asMetadata) => {
        const key = source.key()
        // A source that answers 404: a name that passes the checks ends in 502 without touching S3.
        const url = source.url(key, 'x.csv', { status: 404 })
        const body = asMetadata
          ? bulkBody(url, 'data.csv', {
              presignedUrls: { metadataFile: url },
              sendParameters: { s3_metadata_filename: n },
            })
          : bulkBody(url, n)
        const { res, body: reply } = await postBulk(t, body)
        expect([400, 502]).toContain(res.status)
        if (hasLoneSurrogate(n)) {
          expect(res.status).toBe(400)
          expect(await source.requests(key)).toEqual([])
        }
        if (res.status === 502) expect(reply.error.code).toBe('SOURCE_UNAVAILABLE')
      }),
      { numRuns: 60 },
    )
  })
})

describe('bulk S3: the local S3 stand-in and empty key segments', () => {
  it('a key with an empty segment (a//b.csv), which S3 accepts, is stored under exactly that key', async () => {
    const bucket = await s3.bucket()
    const small = source.url(source.key(), 'x.csv', { size: 100 })
    const multipart = source.url(source.key(), 'y.csv', { size: 6 * MIB })
    const t = bulkTenant(bucket)

    for (const [url, name] of [
      [small, 'exports//daily.csv'],
      [small, 'x///y.csv'],
      [multipart, 'exports//big.csv'],
    ] as const) {
      const { res, body } = await postBulk(t, bulkBody(url, name))
      expect(res.status).toBe(200)
      expect(body).toMatchObject({ status: 'OK', upload_filename: name, s3_uri: `s3://${bucket}/${name}` })
      expect(await s3.object(bucket, name)).toMatchObject({ exists: true, ...(await source.digest(url)) })
    }
    // Not folded into the key without the empty segment.
    expect(await s3.object(bucket, 'exports/daily.csv')).toEqual({ exists: false })
    expect(await s3.pendingUploads(bucket)).toEqual([])
  })
})

describe('bulk S3: the local S3 stand-in and long key segments', () => {
  it('a key with a 300-byte segment gets an S3 error from the stand-in, not a crash', async () => {
    const bucket = await s3.bucket()
    const name = `exports/${'s'.repeat(300)}.csv`
    const url = source.url(source.key(), 'x.csv', { size: 6 * MIB })

    const { res, body } = await postBulk(bulkTenant(bucket), bulkBody(url, name))

    expect(res.status).toBe(502)
    expect(body.error).toMatchObject({ code: 'S3_UPLOAD_FAILED', s3_code: 'KeyTooLongError', s3_status: 400 })
    expect(await s3.pendingUploads(bucket)).toEqual([])
    // The stand-in still serves the next request.
    const next = await postBulk(bulkTenant(bucket), bulkBody(url, 'exports/short.csv'))
    expect(next.res.status).toBe(200)
  })
})

describe('bulk S3: bulk_source_hosts and redirects', () => {
  it('a source outside bulk_source_hosts → 400 before any byte is fetched', async () => {
    const bucket = await s3.bucket()
    const key = source.key()
    const t = bulkTenant(bucket, { bulk_source_hosts: 'ci360.example.com,amazonaws.com' })

    const { res, body } = await postBulk(t, bulkBody(source.url(key, 'x.csv', { size: 10 }), 'a.csv'))

    expect(res.status).toBe(400)
    expect(body.error).toMatchObject({
      code: 'VALIDATION_FAILED',
      message: 'Invalid request: presignedUrls.dataFile: must point at a host listed in bulk_source_hosts',
    })
    expect(await source.requests(key)).toEqual([])
  })

  it('an entry is host[:port]: a listed host on another port (80 for http without one) → 400, nothing fetched', async () => {
    const bucket = await s3.bucket()
    const key = source.key()
    const url = source.url(key, 'x.csv', { size: 10 })
    const port = new URL(url).port
    expect(port).not.toBe('')
    for (const listed of ['127.0.0.1', `127.0.0.1:${Number(port) + 1}`]) {
      const { res, body } = await postBulk(
        bulkTenant(bucket, { bulk_source_hosts: listed }),
        bulkBody(url, 'p.csv'),
      )
      expect(res.status).toBe(400)
      expect(body.error).toMatchObject({
        code: 'VALIDATION_FAILED',
        message: 'Invalid request: presignedUrls.dataFile: must point at a host listed in bulk_source_hosts',
      })
    }
    expect(await source.requests(key)).toEqual([])
    const ok = await postBulk(
      bulkTenant(bucket, { bulk_source_hosts: `127.0.0.1:${port}` }),
      bulkBody(url, 'p.csv'),
    )
    expect(ok.res.status).toBe(200)
    expect(ok.body).toMatchObject({ status: 'OK', bytes: 10 })
  })

  it('a redirect to a host outside the list → 400; the target is never asked', async () => {
    const bucket = await s3.bucket()
    const [from, to] = [source.key(), source.key()]
    // 127.0.0.1 is listed; "localhost" (the same server under another name) is not.
    const target = source.url(to, 'x.csv', { size: 10 }).replace('127.0.0.1', 'localhost')
    const t = bulkTenant(bucket, { bulk_source_hosts: new URL(source.url(from, 'x.csv')).host })

    const { res, body } = await postBulk(
      t,
      bulkBody(source.url(from, 'x.csv', { redirect: target }), 'a.csv'),
    )

    expect(res.status).toBe(400)
    expect(body.error).toMatchObject({
      code: 'VALIDATION_FAILED',
      message:
        'Invalid request: presignedUrls.dataFile: redirected to a URL that does not point at a host listed in bulk_source_hosts',
    })
    expect((await source.requests(from)).map((r) => r.body.status)).toEqual([302])
    expect(await source.requests(to)).toEqual([])
    expect(await s3.requests(bucket)).toEqual([])
  })

  it('a redirect inside the list is followed and the copy succeeds', async () => {
    const bucket = await s3.bucket()
    const [from, to] = [source.key(), source.key()]
    const target = source.url(to, 'x.csv', { size: 1000 })
    const t = bulkTenant(bucket, { bulk_source_hosts: new URL(target).host })

    const { res, body } = await postBulk(
      t,
      bulkBody(source.url(from, 'x.csv', { redirect: target }), 'b.csv'),
    )

    expect(res.status).toBe(200)
    expect(body).toMatchObject({ status: 'OK', bytes: 1000 })
    expect(await s3.object(bucket, 'b.csv')).toMatchObject({ exists: true, ...(await source.digest(target)) })
  })
})
