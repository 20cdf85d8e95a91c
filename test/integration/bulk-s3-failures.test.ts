import { describe, expect, it } from 'vitest'
import { bulkBody, bulkTenant, MIB, postBulk, s3, source } from '../support/bulk'

const PART = 5 * MIB
const modes = [
  { mode: 'ranged', options: {} },
  { mode: 'sequential', options: { ranges: 0 } },
] as const

/** S3 operations the bucket saw, e.g. ['create', 'part', 'part', 'abort']. */
const ops = async (bucket: string) => (await s3.requests(bucket)).map((r) => r.body.op as string)

describe('bulk S3: failures are retried per part, or end in 502 with nothing left behind', () => {
  it('re-fetches a source range that failed once and completes the copy', async () => {
    const bucket = await s3.bucket()
    const key = source.key()
    const url = source.url(key, 'f.csv', { size: 12 * MIB, fail: PART })

    const { res, body, sleeps } = await postBulk(bulkTenant(bucket), bulkBody(url, 'f.csv'))

    expect(res.status).toBe(200)
    expect(body).toMatchObject({ status: 'OK', bytes: 12 * MIB, parts: 3 })
    expect(await s3.object(bucket, 'f.csv')).toMatchObject(await source.digest(url))
    const second = (await source.requests(key)).filter(
      (r) => r.headers.range === `bytes=${PART}-${2 * PART - 1}`,
    )
    expect(second.map((r) => r.body.status)).toEqual([500, 206])
    expect(sleeps).toHaveLength(1)
  })

  for (const { mode, options } of modes) {
    it(`retries an UploadPart that S3 failed once (${mode} source)`, async () => {
      const bucket = await s3.bucket()
      const url = source.url(source.key(), 'f.csv', { size: 12 * MIB, ...options })
      await s3.fault(bucket, { op: 'part', partNumber: 2, status: 500, code: 'InternalError' })

      const { res, body, sleeps } = await postBulk(bulkTenant(bucket), bulkBody(url, 'f.csv'))

      expect(res.status).toBe(200)
      expect(body).toMatchObject({ bytes: 12 * MIB, parts: 3 })
      expect(await s3.object(bucket, 'f.csv')).toMatchObject(await source.digest(url))
      const parts = (await s3.requests(bucket))
        .filter((r) => r.body.op === 'part')
        .map((r) => r.body.partNumber)
      expect(parts.sort()).toEqual([1, 2, 2, 3])
      expect(sleeps).toHaveLength(1)
    })

    it(`aborts the multipart upload and answers 502 SOURCE_UNAVAILABLE when the source breaks off (${mode})`, async () => {
      const bucket = await s3.bucket()
      const url = source.url(source.key(), 'f.csv', { size: 17 * MIB, cut: 7 * MIB, ...options })

      const { res, body } = await postBulk(bulkTenant(bucket), bulkBody(url, 'f.csv'))

      expect(res.status).toBe(502)
      expect(body.error).toMatchObject({ code: 'SOURCE_UNAVAILABLE', file: 'dataFile' })
      expect(body.error.message).not.toContain('http')
      expect(await s3.pendingUploads(bucket)).toEqual([])
      expect(await ops(bucket)).toContain('abort')
      expect(await s3.object(bucket, 'f.csv')).toEqual({ exists: false })
    })
  }

  it('gives up on a part after 3 attempts: 502 S3_UPLOAD_FAILED with S3 code, upload aborted', async () => {
    const bucket = await s3.bucket()
    const url = source.url(source.key(), 'f.csv', { size: 11 * MIB })
    await s3.fault(bucket, { op: 'part', partNumber: 3, status: 503, code: 'SlowDown', times: 3 })

    const { res, body, sleeps } = await postBulk(bulkTenant(bucket), bulkBody(url, 'f.csv'))

    expect(res.status).toBe(502)
    expect(body.error).toMatchObject({
      code: 'S3_UPLOAD_FAILED',
      file: 'dataFile',
      s3_code: 'SlowDown',
      s3_status: 503,
    })
    expect(sleeps).toHaveLength(2)
    expect(await s3.pendingUploads(bucket)).toEqual([])
    expect((await ops(bucket)).at(-1)).toBe('abort')
  })

  it('answers 502 with S3 code SignatureDoesNotMatch when the secret key is wrong, storing nothing', async () => {
    for (const size of [1000, 8 * MIB]) {
      const bucket = await s3.bucket()
      const url = source.url(source.key(), 'f.csv', { size })
      const t = bulkTenant(bucket, { aws_secret_access_key: 'not-the-right-secret' })

      const { res, body } = await postBulk(t, bulkBody(url, 'f.csv'))

      expect(res.status).toBe(502)
      expect(body.error).toMatchObject({
        code: 'S3_UPLOAD_FAILED',
        s3_code: 'SignatureDoesNotMatch',
        s3_status: 403,
      })
      expect(JSON.stringify(body)).not.toContain('not-the-right-secret')
      expect(await s3.object(bucket, 'f.csv')).toEqual({ exists: false })
      expect(await s3.pendingUploads(bucket)).toEqual([])
    }
  })

  it('treats an <Error> inside a 200 CompleteMultipartUpload answer as a failure (retried, then 502)', async () => {
    const bucket = await s3.bucket()
    const url = source.url(source.key(), 'f.csv', { size: 6 * MIB })
    await s3.fault(bucket, { op: 'complete', status: 200, code: 'InternalError', times: 3 })

    const { res, body } = await postBulk(bulkTenant(bucket), bulkBody(url, 'f.csv'))

    expect(res.status).toBe(502)
    expect(body.error).toMatchObject({ code: 'S3_UPLOAD_FAILED', s3_code: 'InternalError' })
    expect((await ops(bucket)).filter((op) => op === 'complete')).toHaveLength(3)
    expect(await s3.pendingUploads(bucket)).toEqual([])
    expect(await s3.object(bucket, 'f.csv')).toEqual({ exists: false })
  })

  it('completes when CompleteMultipartUpload reports an <Error> in a 200 answer once', async () => {
    const bucket = await s3.bucket()
    const url = source.url(source.key(), 'f.csv', { size: 6 * MIB })
    await s3.fault(bucket, { op: 'complete', status: 200, code: 'InternalError', times: 1 })

    const { res } = await postBulk(bulkTenant(bucket), bulkBody(url, 'f.csv'))

    expect(res.status).toBe(200)
    expect(await s3.object(bucket, 'f.csv')).toMatchObject(await source.digest(url))
  })

  it('answers 502 SOURCE_UNAVAILABLE with the source status when the presigned URL is refused', async () => {
    const bucket = await s3.bucket()
    const key = source.key()
    const url = source.url(key, 'f.csv', { status: 403 })

    const { res, body } = await postBulk(bulkTenant(bucket), bulkBody(url, 'f.csv'))

    expect(res.status).toBe(502)
    expect(body.error).toMatchObject({ code: 'SOURCE_UNAVAILABLE', file: 'dataFile', source_status: 403 })
    expect(await source.requests(key)).toHaveLength(1)
    expect(await ops(bucket)).toEqual([])
  })

  it('names the metadata file when it is the one that cannot be read', async () => {
    const bucket = await s3.bucket()
    const key = source.key()
    const data = source.url(key, 'data.csv', { size: 100 })
    const metadata = source.url(key, 'metadata.json', { status: 404 })

    const { res, body } = await postBulk(
      bulkTenant(bucket),
      bulkBody(data, 'd.csv', {
        presignedUrls: { metadataFile: metadata },
        sendParameters: { s3_metadata_filename: 'd.json' },
      }),
    )

    expect(res.status).toBe(502)
    expect(body.error).toMatchObject({ code: 'SOURCE_UNAVAILABLE', file: 'metadataFile', source_status: 404 })
    expect(await s3.object(bucket, 'd.json')).toEqual({ exists: false })
  })
})
