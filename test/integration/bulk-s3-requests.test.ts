import { describe, expect, it } from 'vitest'
import fixtureData from '../fixtures/ci360/bulk-data.csv?raw'
import fixtureMetadata from '../fixtures/ci360/bulk-metadata.json?raw'
import webhook from '../fixtures/ci360/bulk-webhook.json'
import { bulkBody, bulkTenant, postBulk, s3, source } from '../support/bulk'
import { FIXTURE_TENANT, OTHER_TENANT, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY } from '../support/constants'
import { call, envWith, fakes, json } from '../support/worker'

/** Nothing reached the source (under `key`) nor the bucket. */
async function expectUntouched(bucket: string, key: string) {
  expect(await source.requests(key)).toEqual([])
  expect(await s3.requests(bucket)).toEqual([])
}

const decode = (base64: string | undefined) =>
  new TextDecoder().decode(Uint8Array.from(atob(base64 ?? ''), (c) => c.charCodeAt(0)))

describe('bulk S3: the CI360 fixture webhook end to end', () => {
  it('copies bulk-data.csv to exports/spring-loyalty-2025.csv byte for byte (whole Worker)', async () => {
    const bucket = await s3.bucket()
    const key = source.key()
    const body = structuredClone(webhook)
    for (const field of ['dataFile', 'metadataFile'] as const) {
      body.presignedUrls[field] = body.presignedUrls[field].replace(
        'https://ci360-fixture-staging.s3.amazonaws.com',
        `${fakes().source}/${key}/fixture`,
      )
    }
    const t = bulkTenant(bucket)

    const res = await call(envWith([t]), `/v1/tenants/${FIXTURE_TENANT}/bulk/s3`, {
      body,
      headers: { 'x-api-key': t.apiKey, 'content-type': 'text/plain;charset=UTF-8' },
    })

    expect(res.status).toBe(200)
    expect(await json(res)).toEqual({
      status: 'OK',
      upload_filename: 'exports/spring-loyalty-2025.csv',
      bucket_name: bucket,
      s3_uri: `s3://${bucket}/exports/spring-loyalty-2025.csv`,
      bytes: new TextEncoder().encode(fixtureData).byteLength,
      parts: 1,
    })
    const stored = await s3.object(bucket, 'exports/spring-loyalty-2025.csv')
    expect(decode(stored.base64)).toBe(fixtureData)
    // As in the Lambda, the metadata file is not fetched unless s3_metadata_filename asks for it.
    expect((await source.requests(key)).every((r) => r.path.endsWith('/data.csv'))).toBe(true)
  })

  it('copies the fixture metadata file when s3_metadata_filename is set', async () => {
    const bucket = await s3.bucket()
    const key = source.key()
    const body: any = structuredClone(webhook)
    for (const field of ['dataFile', 'metadataFile'] as const) {
      body.presignedUrls[field] = body.presignedUrls[field].replace(
        'https://ci360-fixture-staging.s3.amazonaws.com',
        `${fakes().source}/${key}/fixture`,
      )
    }
    body.sendParameters.s3_metadata_filename = 'exports/spring-loyalty-2025.meta.json'

    const { res, body: reply } = await postBulk(bulkTenant(bucket), body)

    expect(res.status).toBe(200)
    expect(reply.metadata).toMatchObject({
      upload_filename: 'exports/spring-loyalty-2025.meta.json',
      parts: 1,
    })
    const stored = await s3.object(bucket, 'exports/spring-loyalty-2025.meta.json')
    expect(decode(stored.base64)).toBe(fixtureMetadata)
    expect(stored.content_type).toBe('application/json')
  })
})

describe('bulk S3: requests are checked before anything is fetched', () => {
  const unsafe = [
    ['../escape.csv', 'must not contain . or .. path segments'],
    ['exports/../../escape.csv', 'must not contain . or .. path segments'],
    ['./here.csv', 'must not contain . or .. path segments'],
    ['/etc/passwd', 'must be a relative name (no leading /)'],
    ['exports\\win.csv', 'must not contain a backslash'],
    ['line\nbreak.csv', 'must not contain control characters'],
    ['nul\u0000.csv', 'must not contain control characters'],
    [`${'é'.repeat(513)}`, 'must be at most 1024 bytes'],
    ['', 'must not be empty'],
  ] as const
  for (const [name, problem] of unsafe) {
    it(`refuses s3_filename ${JSON.stringify(name.slice(0, 30))} with 400, fetching and uploading nothing`, async () => {
      const bucket = await s3.bucket()
      const key = source.key()
      const { res, body } = await postBulk(
        bulkTenant(bucket),
        bulkBody(source.url(key, 'f.csv', { size: 10 }), name),
      )

      expect(res.status).toBe(400)
      expect(body.error).toMatchObject({ code: 'VALIDATION_FAILED', fields: ['sendParameters.s3_filename'] })
      expect(body.error.message).toContain(problem)
      await expectUntouched(bucket, key)
    })
  }

  it('refuses a missing s3_filename and an unsafe s3_metadata_filename, naming each', async () => {
    const bucket = await s3.bucket()
    const key = source.key()
    const url = source.url(key, 'f.csv', { size: 10 })

    const missing = await postBulk(bulkTenant(bucket), {
      presignedUrls: { dataFile: url },
      sendParameters: {},
    })
    expect(missing.res.status).toBe(400)
    expect(missing.body.error.fields).toEqual(['sendParameters.s3_filename'])
    expect(missing.body.error.message).toContain('sendParameters.s3_filename: is required')

    const meta = await postBulk(
      bulkTenant(bucket),
      bulkBody(url, 'ok.csv', {
        presignedUrls: { metadataFile: url },
        sendParameters: { s3_metadata_filename: '../m.json' },
      }),
    )
    expect(meta.res.status).toBe(400)
    expect(meta.body.error.fields).toEqual(['sendParameters.s3_metadata_filename'])
    await expectUntouched(bucket, key)
  })

  it('refuses a key that passes 1,024 bytes once s3_key_prefix is added', async () => {
    const bucket = await s3.bucket()
    const key = source.key()
    const t = bulkTenant(bucket, { s3_key_prefix: 'tenant-exports/' })
    const { res, body } = await postBulk(t, bulkBody(source.url(key, 'f.csv'), 'x'.repeat(1020)))

    expect(res.status).toBe(400)
    expect(body.error.message).toContain('with s3_key_prefix, must be at most 1024 bytes')
    await expectUntouched(bucket, key)
  })

  it('refuses http:// sources unless bulk_allow_http_sources is true', async () => {
    const bucket = await s3.bucket()
    const key = source.key()
    const t = bulkTenant(bucket, { bulk_allow_http_sources: false })
    const { res, body } = await postBulk(t, bulkBody(source.url(key, 'f.csv', { size: 10 }), 'f.csv'))

    expect(res.status).toBe(400)
    expect(body.error).toMatchObject({ code: 'VALIDATION_FAILED', fields: ['presignedUrls.dataFile'] })
    expect(body.error.message).toContain('must be an https URL')
    await expectUntouched(bucket, key)
  })

  it('answers 403 when externalTenantId is another tenant, and 401 for a wrong key', async () => {
    const bucket = await s3.bucket()
    const key = source.key()
    const t = bulkTenant(bucket)
    const url = source.url(key, 'f.csv', { size: 10 })

    const other = await postBulk(t, { ...bulkBody(url, 'f.csv'), externalTenantId: OTHER_TENANT })
    expect(other.res.status).toBe(403)
    expect(other.body.error.code).toBe('FORBIDDEN')

    const wrongKey = await postBulk(t, bulkBody(url, 'f.csv'), { apiKey: 'not-a-key' })
    expect(wrongKey.res.status).toBe(401)
    expect(wrongKey.body.error.code).toBe('UNAUTHORIZED')
    await expectUntouched(bucket, key)
  })

  it('answers 500 CONFIG_INVALID naming s3_bucket_name or the credentials when they are missing', async () => {
    const bucket = await s3.bucket()
    const key = source.key()
    const url = source.url(key, 'f.csv', { size: 10 })

    const noBucket = await postBulk(bulkTenant(bucket, { s3_bucket_name: '' }), bulkBody(url, 'f.csv'))
    expect(noBucket.res.status).toBe(500)
    expect(noBucket.body.error).toMatchObject({ code: 'CONFIG_INVALID', setting: 's3_bucket_name' })

    const noKeys = await postBulk(
      bulkTenant(bucket, { aws_access_key_id: undefined, aws_secret_access_key: undefined }),
      bulkBody(url, 'f.csv'),
    )
    expect(noKeys.res.status).toBe(500)
    expect(noKeys.body.error.message).toContain('aws_access_key_id')

    const half = await postBulk(
      bulkTenant(bucket, { aws_secret_access_key: undefined }),
      bulkBody(url, 'f.csv'),
    )
    expect(half.res.status).toBe(500)
    expect(half.body.error.setting).toBe(`TENANT_${FIXTURE_TENANT}.aws_secret_access_key`)
    await expectUntouched(bucket, key)
  })

  it('uses the global AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY when the tenant has none', async () => {
    const bucket = await s3.bucket()
    const url = source.url(source.key(), 'f.csv', { size: 2048 })
    const t = bulkTenant(bucket, { aws_access_key_id: undefined, aws_secret_access_key: undefined })

    const { res } = await postBulk(t, bulkBody(url, 'f.csv'), {
      vars: { AWS_ACCESS_KEY_ID: S3_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: S3_SECRET_ACCESS_KEY },
    })

    expect(res.status).toBe(200)
    expect(await s3.object(bucket, 'f.csv')).toMatchObject(await source.digest(url))
  })
})
