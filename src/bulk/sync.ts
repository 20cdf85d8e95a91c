import type { TenantConfig } from '../config/tenant'
import type { Deps, RequestContext } from '../deps'
import { AppError } from '../lib/app-error'
import type { BulkReply as BulkReplySchema } from '../openapi/replies'
import type { Body } from '../openapi/reply'
import { type CopyResult, copyToS3 } from '../s3/copy'
import { CopyFailure } from '../s3/copy-failure'
import { createS3Client, type S3Client, type S3Target } from '../s3/s3-client'
import { type BulkFile, parseBulkRequest } from './request'
import { guardedSourceFetch, REDIRECT_REFUSED } from './source-policy'

/** The `bulk_mode=sync` reply; `metadata` when `sendParameters.s3_metadata_filename` asked for that file too. */
export type BulkReply = Body<typeof BulkReplySchema>
/** What one uploaded file looks like in the reply. */
export type UploadedFile = NonNullable<BulkReply['metadata']>

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/**
 * `POST /v1/tenants/:tenant/bulk/s3`: validate, then copy the data file (and, when asked, the metadata
 * file after it) from CI360's presigned URLs into the tenant's bucket. Failures are 502
 * `SOURCE_UNAVAILABLE` or `S3_UPLOAD_FAILED`; nothing is fetched when the request or config is invalid.
 */
export async function handleBulkS3(
  deps: RequestContext,
  { tenant, body }: { tenant: TenantConfig; body: unknown },
): Promise<BulkReply> {
  const request = parseBulkRequest(body, tenant)
  const target = s3Target(deps, tenant)
  const s3 = createS3Client(target, deps.fetch, tenant.settings.provider_timeout_ms)

  const data = await copyFile(deps, tenant, s3, request.data)
  const metadata = request.metadata ? await copyFile(deps, tenant, s3, request.metadata) : undefined
  return { status: 'OK', bucket_name: target.bucket, ...data, ...(metadata ? { metadata } : {}) }
}

async function copyFile(
  deps: RequestContext,
  tenant: TenantConfig,
  s3: S3Client,
  file: BulkFile,
): Promise<UploadedFile> {
  const settings = tenant.settings
  const fileLog = deps.log.child({ file: file.field })
  const started = deps.now()
  let result: CopyResult
  try {
    result = await copyToS3({
      fetch: guardedSourceFetch(deps.fetch, settings),
      s3,
      sourceUrl: file.url,
      key: file.key,
      partSizeMb: settings.s3_part_size_mb,
      timeoutMs: settings.provider_timeout_ms,
      sleep: deps.sleep ?? defaultSleep,
      random: deps.random,
      log: fileLog,
    })
  } catch (e) {
    throw e instanceof CopyFailure ? asAppError(e, file.field) : e
  }
  fileLog.info('bulk file copied', {
    key: file.key,
    mode: result.mode,
    bytes: result.bytes,
    parts: result.parts,
    ms: deps.now() - started,
  })
  const uploaded: UploadedFile = {
    upload_filename: file.key,
    s3_uri: `s3://${s3.bucket}/${file.key}`,
    bytes: result.bytes,
    parts: result.parts,
  }
  if (settings.s3_presign_ttl > 0) {
    uploaded.s3_url = await s3.presignGet(file.key, settings.s3_presign_ttl, deps.now())
  }
  return uploaded
}

/** The bucket and credentials in force for this tenant; missing ones are a configuration error. */
export function s3Target(deps: Deps, tenant: TenantConfig): S3Target {
  const settings = tenant.settings
  if (!settings.s3_bucket_name) throw notConfigured('s3_bucket_name')
  const own = tenant.secrets
  const global = deps.config.secrets
  let accessKeyId: string | undefined
  let secretAccessKey: string | undefined
  if (own.aws_access_key_id || own.aws_secret_access_key) {
    // A tenant that names its own credentials must name both: never mix a tenant's id with a global secret.
    if (!own.aws_access_key_id) throw notConfigured(`TENANT_${tenant.id}.aws_access_key_id`)
    if (!own.aws_secret_access_key) throw notConfigured(`TENANT_${tenant.id}.aws_secret_access_key`)
    accessKeyId = own.aws_access_key_id
    secretAccessKey = own.aws_secret_access_key
  } else {
    if (!global.awsAccessKeyId) throw notConfigured('aws_access_key_id (or AWS_ACCESS_KEY_ID)')
    if (!global.awsSecretAccessKey) throw notConfigured('aws_secret_access_key (or AWS_SECRET_ACCESS_KEY)')
    accessKeyId = global.awsAccessKeyId
    secretAccessKey = global.awsSecretAccessKey
  }
  return {
    bucket: settings.s3_bucket_name,
    region: settings.s3_region ?? 'us-east-1',
    endpoint: settings.s3_endpoint,
    accessKeyId,
    secretAccessKey,
  }
}

function notConfigured(name: string): AppError {
  return new AppError('CONFIG_INVALID', `Bulk S3 is not configured: ${name} is not set.`, {
    details: { setting: name },
  })
}

function asAppError(failure: CopyFailure, field: BulkFile['field']): AppError {
  if (failure.code === REDIRECT_REFUSED) {
    const name = `presignedUrls.${field}`
    return new AppError('VALIDATION_FAILED', `Invalid request: ${name}: ${failure.message}`, {
      details: { fields: [name] },
    })
  }
  if (failure.side === 'source') {
    return new AppError('SOURCE_UNAVAILABLE', `Could not read ${field}: ${failure.message}.`, {
      cause: failure,
      details: { file: field, source_status: failure.status ?? null },
    })
  }
  return new AppError('S3_UPLOAD_FAILED', `Could not upload ${field} to S3: ${failure.message}.`, {
    cause: failure,
    details: { file: field, s3_code: failure.code ?? null, s3_status: failure.status ?? null },
  })
}
