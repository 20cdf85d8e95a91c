import * as z from 'zod/mini'
import { ERROR_CODE_LIST } from '../lib/app-error'
import { BULK_JOB_STATES, FAILED_REQUEST_KINDS, FAILED_REQUEST_STATES, PROVIDER_IDS } from '../lib/vocabulary'
import { WebhookReply } from '../providers/webhook-reply'

/**
 * The reply shapes of every route. They are the one source of both the OpenAPI document (each export is
 * a named component) and the handlers' return types (`Body`, `Reply` in ./reply.ts): a handler that
 * builds something else does not compile. The request schemas come from the routes' own modules.
 */

const iso = () => z.string().check(z.regex(/^\d{4}-\d\d-\d\dT/))

export const ErrorReply = z.object({
  status: z.literal('ERROR'),
  error: z.looseObject({
    code: z.enum(ERROR_CODE_LIST),
    message: z.string(),
    fields: z.optional(z.array(z.string())),
    field: z.optional(z.string()),
    provider_code: z.optional(z.nullable(z.string())),
  }),
  request_id: z.string(),
})

export const HealthReply = z.object({ status: z.literal('OK'), version: z.string() })

export const OutboundOk = z.object({
  status: z.literal('OK'),
  provider: z.enum(PROVIDER_IDS),
  message_id: z.nullable(z.string()),
  guid: z.string(),
})
export const OutboundQueued = z.object({ status: z.literal('QUEUED'), guid: z.string(), retry_at: iso() })
/** Held by the tenant's quiet hours (docs/compliance.md): the cron sends it at `send_at`. */
export const OutboundDeferred = z.object({ status: z.literal('DEFERRED'), guid: z.string(), send_at: iso() })
/** `send_mode: queued` (docs/pacing.md): claimed and on the send queue; outcome events follow. */
export const OutboundAccepted = z.object({ status: z.literal('ACCEPTED'), guid: z.string() })
export const OutboundDuplicate = z.object({
  status: z.literal('DUPLICATE'),
  guid: z.string(),
  state: z.string(),
  message_id: z.optional(z.string()),
})
export const OutboundSkipped = z.object({
  status: z.enum(['STALE', 'IGNORED']),
  guid: z.nullable(z.string()),
  reason: z.string(),
})

/** A send not made because the number is on the tenant's opt-out list (docs/compliance.md). */
export const OutboundSuppressed = z.object({
  status: z.literal('SUPPRESSED'),
  guid: z.string(),
  reason: z.string(),
})

/** Genesys Open Messaging replies: keyed by the Genesys message `id`. */
export const GenesysReply = z.object({
  status: z.enum(['OK', 'QUEUED', 'DUPLICATE', 'IGNORED', 'SUPPRESSED']),
  id: z.string(),
  provider: z.optional(z.enum(PROVIDER_IDS)),
  message_id: z.optional(z.nullable(z.string())),
  retry_at: z.optional(iso()),
  state: z.optional(z.string()),
  reason: z.optional(z.string()),
})

/**
 * Genesys Multicloud webhook reply: Genesys reads `messageId` (our id: the delivery's guid); `status`
 * and `messages` (one outcome per message of the body, in order) are ours.
 */
const MulticloudOutcome = z.extend(GenesysReply, {
  messageId: z.string(),
  status: z.enum(['OK', 'QUEUED', 'DUPLICATE', 'IGNORED', 'SUPPRESSED', 'PROVIDER_REJECTED', 'IN_PROGRESS']),
  provider_code: z.optional(z.nullable(z.string())),
})
export const MulticloudReply = z.object({
  messageId: z.string(),
  status: MulticloudOutcome.shape.status,
  messages: z.array(MulticloudOutcome),
})

export const OutboundReply = z.union([OutboundOk, OutboundDuplicate, OutboundSkipped, OutboundSuppressed])

export { WebhookReply }

/** The token endpoint's 200 reply (RFC 6749 §5.1). */
export const TokenReply = z.object({
  access_token: z.string(),
  token_type: z.literal('Bearer'),
  expires_in: z.number(),
  refresh_token: z.optional(z.string()),
  scope: z.string(),
})
export const OAuthErrorReply = z.object({
  error: z.enum([
    'invalid_request',
    'invalid_client',
    'invalid_grant',
    'unauthorized_client',
    'unsupported_grant_type',
    'invalid_scope',
    'temporarily_unavailable',
    'server_error',
  ]),
  error_description: z.optional(z.string()),
})

const FailedRequestItem = z.object({
  id: z.string(),
  guid: z.string(),
  kind: z.enum(FAILED_REQUEST_KINDS),
  state: z.enum(FAILED_REQUEST_STATES),
  attempts: z.number(),
  http_status: z.nullable(z.number()),
  last_error: z.nullable(z.string()),
  next_attempt_at: z.nullable(iso()),
  created_at: iso(),
  updated_at: iso(),
})
export const FailedRequestList = z.object({
  status: z.literal('OK'),
  items: z.array(FailedRequestItem),
  next_cursor: z.nullable(z.string()),
})
export const FailedRequestOne = z.object({
  status: z.literal('OK'),
  item: z.extend(FailedRequestItem, { event_body: z.unknown() }),
})
export const DeliveryRecord = z.object({
  status: z.literal('OK'),
  guid: z.string(),
  provider: z.enum(PROVIDER_IDS),
  state: z.string(),
  provider_status: z.nullable(z.string()),
  message_id: z.nullable(z.string()),
  attempts: z.number(),
  created_at: iso(),
  updated_at: iso(),
  history: z.array(z.object({ state: z.string(), at: iso(), detail: z.optional(z.string()) })),
  /** The sender of the route that sent it (routed or paced sends); null otherwise. */
  sender: z.nullable(z.string()),
  /** Every provider call of a routed send, in order (docs/guarantees.md, "Failover"); [] without routes. */
  route_attempts: z.array(
    z.object({ provider: z.enum(PROVIDER_IDS), sender: z.string(), outcome: z.string(), at: iso() }),
  ),
})

/** What `POST …/failed-requests/:id/retry` says about the row it retried. */
const RetriedRow = { id: z.string(), guid: z.string(), state: z.string(), attempts: z.number() }
export const RetryOk = z.object({
  status: z.literal('OK'),
  ...RetriedRow,
  /** Outbound rows only (a CI360 event row has no provider). */
  provider: z.optional(z.enum(PROVIDER_IDS)),
  message_id: z.optional(z.nullable(z.string())),
})
export const RetryDuplicate = z.object({
  status: z.literal('DUPLICATE'),
  id: z.string(),
  guid: z.string(),
  state: z.string(),
  message_id: z.optional(z.string()),
})
export const RetryStale = z.object({ status: z.literal('STALE'), ...RetriedRow, reason: z.string() })
/** The number opted out since the message was queued: not sent, the row is dead (docs/compliance.md). */
export const RetrySuppressed = z.object({
  status: z.literal('SUPPRESSED'),
  ...RetriedRow,
  reason: z.string(),
})
export const RetryQueued = z.object({
  status: z.literal('QUEUED'),
  ...RetriedRow,
  retry_at: iso(),
  last_error: z.string(),
})
/** A queued tenant's message handed back to the send queue (docs/pacing.md): it leaves at its sender's pace. */
export const RetryAccepted = z.object({ status: z.literal('ACCEPTED'), ...RetriedRow })

const UploadedFile = z.object({
  upload_filename: z.string(),
  s3_uri: z.string(),
  bytes: z.number(),
  parts: z.number(),
  s3_url: z.optional(z.string()),
})
export const BulkReply = z.extend(UploadedFile, {
  status: z.literal('OK'),
  bucket_name: z.string(),
  metadata: z.optional(UploadedFile),
})

export const BulkQueued = z.object({
  status: z.literal('QUEUED'),
  job_id: z.string(),
  status_url: z.string(),
})
export const BulkDuplicate = z.extend(BulkQueued, {
  status: z.literal('DUPLICATE'),
  state: z.enum(BULK_JOB_STATES),
})
export const BulkJobReply = z.object({
  status: z.literal('OK'),
  job: z.object({
    job_id: z.string(),
    state: z.enum(BULK_JOB_STATES),
    upload_filename: z.string(),
    bucket_name: z.string(),
    s3_uri: z.string(),
    bytes: z.nullable(z.number()),
    parts: z.nullable(z.number()),
    error: z.nullable(z.object({ code: z.string(), message: z.string() })),
    created_at: iso(),
    updated_at: iso(),
  }),
})
