import { appWith } from './app'
import { FIXTURE_TENANT, S3_ACCESS_KEY_ID, S3_REGION, S3_SECRET_ACCESS_KEY } from './constants'
import { control, type Recorded } from './fake-control'
import { envWith, fakes, json, type TestTenant, testTenant } from './worker'

export const MIB = 1024 * 1024

const unique = () => crypto.randomUUID().replaceAll('-', '').slice(0, 12)

/** What the local S3 server holds under a key. */
export interface StoredObject {
  exists: boolean
  bytes?: number
  sha256?: string
  content_type?: string | null
  content_encoding?: string | null
  /** The bytes themselves, for objects up to 64 KiB. */
  base64?: string
}

/** The local S3 server (test/fakes/s3.ts): buckets, faults, and what it holds. */
export const s3 = {
  /** A fresh bucket, so tests never see each other's objects or uploads. */
  async bucket(): Promise<string> {
    const name = `bulk-${unique()}`
    const res = await fetch(`${fakes().s3}/__control/bucket`, {
      method: 'POST',
      body: JSON.stringify({ name }),
    })
    if (!res.ok) throw new Error(`creating bucket ${name} failed: ${res.status}`)
    return name
  },
  async object(bucket: string, key: string): Promise<StoredObject> {
    const q = new URLSearchParams({ bucket, key })
    return (await (await fetch(`${fakes().s3}/__control/object?${q}`)).json()) as StoredObject
  },
  /** Multipart uploads started and neither completed nor aborted. */
  async pendingUploads(bucket: string): Promise<{ upload_id: string; key: string | null }[]> {
    return (await (await fetch(`${fakes().s3}/__control/uploads?bucket=${bucket}`)).json()) as any
  },
  /** Make the next matching S3 call(s) fail with `status` and S3 error `code` (200: an error document). */
  async fault(
    bucket: string,
    fault: {
      op: 'put' | 'create' | 'part' | 'complete' | 'abort'
      partNumber?: number
      status: number
      code: string
      times?: number
    },
  ): Promise<void> {
    await fetch(`${fakes().s3}/__control/fault`, {
      method: 'POST',
      body: JSON.stringify({ bucket, ...fault }),
    })
  },
  /** Every request the bucket saw: `body` is `{op, partNumber}`, headers the lengths and encodings. */
  requests: (bucket: string): Promise<Recorded[]> => control('s3').requests(bucket),
}

/** The local file source (test/fakes/source.ts). */
export const source = {
  key: () => `src-${unique()}`,
  /** A generated file of `size` bytes under `key`; options as documented in the fake. */
  url(key: string, name: string, options: Record<string, string | number> = {}): string {
    const q = new URLSearchParams(Object.entries(options).map(([k, v]): [string, string] => [k, String(v)]))
    return `${fakes().source}/${key}/${name}${q.size > 0 ? `?${q}` : ''}`
  },
  /** Size and SHA-256 of what `url` serves as a whole. */
  async digest(url: string): Promise<{ bytes: number; sha256: string }> {
    const u = new URL(url)
    const path = encodeURIComponent(`${u.pathname}${u.search}`)
    return (await (await fetch(`${fakes().source}/__control/digest?path=${path}`)).json()) as any
  },
  /** Requests the source saw under `key`: `headers.range` and `body.status`. */
  requests: (key: string): Promise<Recorded[]> => control('source').requests(key),
}

/** A tenant whose bulk target is `bucket` on the local S3 server, with 5 MiB parts. */
export function bulkTenant(bucket: string, overrides: Record<string, unknown> = {}): TestTenant {
  return testTenant(FIXTURE_TENANT, {
    s3_bucket_name: bucket,
    s3_endpoint: fakes().s3,
    s3_region: S3_REGION,
    s3_part_size_mb: 5,
    bulk_allow_http_sources: true,
    // The synchronous copy; test/integration/bulk-jobs*.test.ts cover the default (async) mode.
    bulk_mode: 'sync',
    aws_access_key_id: S3_ACCESS_KEY_ID,
    aws_secret_access_key: S3_SECRET_ACCESS_KEY,
    // Generous: the local S3 server shares two cores with the parallel test files.
    provider_timeout_ms: 5000,
    ...overrides,
  })
}

/** A CI360 bulk webhook body (the fields of fixtures/ci360/bulk-webhook.json that matter). */
export function bulkBody(dataFile: string, s3Filename: string, extra: Record<string, any> = {}) {
  return {
    externalTenantId: FIXTURE_TENANT,
    taskCode: 'TSK_4471',
    presignedUrls: { dataFile, ...extra.presignedUrls },
    sendParameters: { s3_filename: s3Filename, ...extra.sendParameters },
  }
}

/**
 * Post a bulk webhook through the app. Retry waits are recorded in `sleeps` instead of slept; `vars`
 * are extra global vars/secrets; `tenant` overrides the path tenant.
 */
export async function postBulk(
  t: TestTenant,
  body: unknown,
  opts: { vars?: Record<string, unknown>; apiKey?: string; tenant?: string } = {},
) {
  const sleeps: number[] = []
  const { app } = appWith(envWith([t], opts.vars), {
    sleep: async (ms) => {
      sleeps.push(ms)
    },
  })
  const res = await app.request(`https://connector.example.com/v1/tenants/${opts.tenant ?? t.id}/bulk/s3`, {
    method: 'POST',
    headers: { 'x-api-key': opts.apiKey ?? t.apiKey, 'content-type': 'text/plain;charset=UTF-8' },
    body: JSON.stringify(body),
  })
  return { res, body: await json(res), sleeps }
}
