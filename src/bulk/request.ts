import * as z from 'zod/mini'
import { expected } from '../config/coerce'
import type { Settings } from '../config/settings'
import type { TenantConfig } from '../config/tenant'
import { AppError } from '../lib/app-error'
import { filenameProblem, MAX_KEY_BYTES, utf8Length } from '../s3/filename'
import { sourceProblem } from './source-hosts'

const requiredText = () =>
  z.string({ error: expected('a string') }).check(z.minLength(1, { error: 'must not be empty' }))
const optionalText = () => z.optional(z.nullable(z.string({ error: expected('a string') })))

/** The CI360 bulk webhook body, as far as we read it (docs/protocols.md, "CI360"); other fields are ignored. */
export const BulkBodySchema = z.object(
  {
    presignedUrls: z.object(
      { dataFile: requiredText(), metadataFile: optionalText() },
      { error: expected('an object') },
    ),
    sendParameters: z.object(
      { s3_filename: requiredText(), s3_metadata_filename: optionalText() },
      { error: expected('an object') },
    ),
  },
  { error: expected('a JSON object') },
)

/** One file to copy: where from, and the object key it becomes. */
export interface BulkFile {
  /** `dataFile` or `metadataFile`, for replies and logs. */
  field: 'dataFile' | 'metadataFile'
  url: string
  key: string
}

export interface BulkRequest {
  data: BulkFile
  metadata: BulkFile | undefined
}

/**
 * Validate a bulk webhook body before anything is fetched: tenant (403), presence and
 * types (400), safe file names, source URLs that are https (http only with `bulk_allow_http_sources`).
 */
export function parseBulkRequest(body: unknown, tenant: TenantConfig): BulkRequest {
  const claimed = (body as { externalTenantId?: unknown } | null)?.externalTenantId
  if (typeof claimed === 'string' && claimed !== tenant.id) {
    throw new AppError('FORBIDDEN', 'externalTenantId does not match the tenant in the URL.')
  }
  const parsed = BulkBodySchema.safeParse(body)
  if (!parsed.success) {
    // The messages are ours (`expected`, 'must not be empty'): they describe the field, never echo it.
    const issues = parsed.error.issues.map((i) => ({
      field: i.path.map(String).join('.') || '(body)',
      problem: i.message,
    }))
    throw new AppError(
      'VALIDATION_FAILED',
      `Invalid request: ${issues.map((i) => `${i.field}: ${i.problem}`).join('; ')}`,
      { details: { fields: [...new Set(issues.map((i) => i.field))] } },
    )
  }
  const { presignedUrls, sendParameters } = parsed.data
  const settings = tenant.settings

  const dataKey = objectKey(settings, sendParameters.s3_filename, 'sendParameters.s3_filename')
  const data: BulkFile = {
    field: 'dataFile',
    url: sourceUrl(settings, presignedUrls.dataFile, 'presignedUrls.dataFile'),
    key: dataKey,
  }

  // An attribute the task type defines but a task leaves blank arrives as "": no metadata copy then.
  const metadataName = sendParameters.s3_metadata_filename?.trim()
    ? sendParameters.s3_metadata_filename
    : undefined
  if (metadataName === undefined) return { data, metadata: undefined }
  const metadataKey = objectKey(settings, metadataName, 'sendParameters.s3_metadata_filename')
  if (metadataKey === dataKey) {
    throw fieldError('sendParameters.s3_metadata_filename', 'must differ from sendParameters.s3_filename')
  }
  if (!presignedUrls.metadataFile) {
    throw fieldError(
      'presignedUrls.metadataFile',
      'is required when sendParameters.s3_metadata_filename is set',
    )
  }
  return {
    data,
    metadata: {
      field: 'metadataFile',
      url: sourceUrl(settings, presignedUrls.metadataFile, 'presignedUrls.metadataFile'),
      key: metadataKey,
    },
  }
}

function objectKey(settings: Settings, name: string, field: string): string {
  const problem = filenameProblem(name)
  if (problem) throw fieldError(field, problem)
  const key = `${settings.s3_key_prefix}${name}`
  if (utf8Length(key) > MAX_KEY_BYTES) {
    throw fieldError(field, `with s3_key_prefix, must be at most ${MAX_KEY_BYTES} bytes`)
  }
  return key
}

function sourceUrl(settings: Settings, value: string, field: string): string {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw fieldError(field, 'must be an absolute URL')
  }
  const problem = sourceProblem(url, settings)
  if (problem) throw fieldError(field, problem)
  return value
}

/** 400 VALIDATION_FAILED naming one field; the value itself is never echoed. */
function fieldError(field: string, problem: string): AppError {
  return new AppError('VALIDATION_FAILED', `Invalid request: ${field}: ${problem}`, {
    details: { fields: [field] },
  })
}
