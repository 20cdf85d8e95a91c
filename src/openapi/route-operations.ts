import * as z from 'zod/mini'
import { OutboundEventSchema } from '../ci360/event'
import type { ProviderId } from '../lib/vocabulary'
import { ScgEnvelopeSchema } from '../providers/scg/webhook'
import { TwilioInboundSchema, TwilioStatusCallbackSchema } from '../providers/twilio/schemas'
import { BulkBodySchema } from '../s3/bulk-request'
import { common, err, type Operation, type Schema, tenantParam } from './operation'
import * as R from './replies'
import { outboundReplies } from './reply'

/**
 * The documented operations of the service, outbound, webhook and bulk routes (src/routes/*). They live
 * here, not beside the handlers, so the Worker bundle does not carry them: the Worker serves the
 * document built from them as the static file public/openapi.json.
 */

/** The service routes, and the two pages served as static assets. */
export const healthOperations: Operation[] = [
  {
    method: 'get',
    path: '/health',
    summary: 'Liveness and version',
    tag: 'Service',
    security: 'none',
    responses: { '200': { description: 'Up', schema: R.HealthReply } },
  },
  {
    method: 'get',
    path: '/openapi.json',
    summary: 'This document',
    tag: 'Service',
    security: 'none',
    responses: { '200': { description: 'OpenAPI 3.1 document' } },
  },
  {
    method: 'get',
    path: '/docs',
    summary: 'API reference page',
    tag: 'Service',
    security: 'none',
    responses: { '200': { description: 'HTML page', type: 'text/html' } },
  },
]

const outbound = (provider: ProviderId, label: string): Operation => ({
  method: 'post',
  path: `/v1/tenants/{tenant}/${provider}/messages`,
  summary: `CI360 External System Task event → ${label}`,
  tag: 'Outbound',
  security: 'apiKey',
  params: [tenantParam],
  body: [
    {
      type: 'text/plain',
      schema: OutboundEventSchema,
      description: 'CI360 sends JSON as text/plain;charset=UTF-8',
    },
    { type: 'application/json', schema: OutboundEventSchema },
  ],
  responses: {
    '200': {
      description: 'Sent (OK), DUPLICATE, STALE or IGNORED',
      schema: outboundReplies[200],
    },
    '202': {
      description:
        'Provider unavailable: stored and retried (QUEUED); or held by quiet hours until send_at (DEFERRED)',
      schema: outboundReplies[202],
    },
    ...common,
    '403': err('Body externalTenantId is not the path tenant (FORBIDDEN)'),
    '409': err('The same guid is being sent right now (IN_PROGRESS)'),
    '422': err('The provider refused the message (PROVIDER_REJECTED, with provider_code)'),
  },
})

/** The outbound routes. */
export const messageOperations: Operation[] = [outbound('scg', 'Syniverse SCG'), outbound('twilio', 'Twilio')]

const scgWebhook = (path: string, summary: string, params: Operation['params']): Operation => ({
  method: 'post',
  path,
  summary,
  tag: 'Webhooks',
  security: 'scgWebhook',
  ...(params ? { params } : {}),
  body: [
    { type: 'application/json', schema: ScgEnvelopeSchema },
    {
      type: 'application/xml',
      schema: ScgEnvelopeSchema,
      description: 'Same element names as the JSON envelope; DTDs and entities are refused',
    },
  ],
  responses: {
    '200': {
      description: 'OK (injected), QUEUED (stored for retry), DUPLICATE or IGNORED',
      schema: R.WebhookReply,
    },
    ...common,
    '400': err('INVALID_JSON, INVALID_XML or VALIDATION_FAILED (naming the field)'),
  },
})

/** The Event Manager routes. */
export const scgWebhookOperations: Operation[] = [
  scgWebhook('/v1/webhooks/scg', 'Event Manager delivery for any tenant (global credentials)', undefined),
  scgWebhook(
    '/v1/webhooks/scg/{tenant}',
    "Event Manager delivery for one tenant (the tenant's scg_webhook credentials)",
    [tenantParam],
  ),
]

/** The token endpoint. */
export const oauthOperations: Operation[] = [
  {
    method: 'post',
    path: '/v1/oauth/token',
    summary: 'OAuth 2.0 token endpoint for Event Manager (client_credentials, password, refresh_token)',
    tag: 'Webhooks',
    security: 'oauthClient',
    body: [
      {
        type: 'application/x-www-form-urlencoded',
        schema: z.object({
          grant_type: z.enum(['client_credentials', 'password', 'refresh_token']),
          client_id: z.optional(z.string()),
          client_secret: z.optional(z.string()),
          username: z.optional(z.string()),
          password: z.optional(z.string()),
          refresh_token: z.optional(z.string()),
          scope: z.optional(z.string()),
          tenant: z.optional(z.string()),
        }),
      },
    ],
    responses: {
      '200': { description: 'Token issued', schema: R.TokenReply },
      '400': {
        description: 'invalid_request, invalid_grant, unsupported_grant_type, invalid_scope',
        schema: R.OAuthErrorReply,
      },
      '401': { description: 'invalid_client', schema: R.OAuthErrorReply },
      '503': {
        description: 'temporarily_unavailable (TOKEN_SIGNING_KEY not set)',
        schema: R.OAuthErrorReply,
      },
    },
  },
]

const twilioWebhook = (
  kind: 'status' | 'inbound',
  schema: Schema,
  summary: string,
  ok: Operation['responses'][string],
): Operation => ({
  method: 'post',
  path: `/v1/webhooks/twilio/{tenant}/${kind}`,
  summary,
  tag: 'Webhooks',
  security: 'twilioSignature',
  params: [tenantParam],
  body: [{ type: 'application/x-www-form-urlencoded', schema }],
  responses: {
    '200': ok,
    '400': common['400'],
    '403': err('Missing or invalid X-Twilio-Signature (FORBIDDEN)'),
    '413': common['413'],
    '503': common['503'],
  },
})

/** The Twilio webhook routes. */
export const twilioWebhookOperations: Operation[] = [
  twilioWebhook('status', TwilioStatusCallbackSchema, 'Twilio status callback → CI360 event', {
    description: 'OK, DUPLICATE, QUEUED or IGNORED',
    schema: R.WebhookReply,
  }),
  twilioWebhook('inbound', TwilioInboundSchema, 'Twilio incoming message → CI360 event', {
    description: 'Empty TwiML <Response/>',
    type: 'text/xml',
  }),
]

/** The bulk routes. */
export const bulkOperations: Operation[] = [
  {
    method: 'post',
    path: '/v1/tenants/{tenant}/bulk/s3',
    summary: 'CI360 bulk custom task → stream the export file into S3',
    tag: 'Bulk',
    security: 'apiKey',
    params: [tenantParam],
    body: [
      { type: 'application/json', schema: BulkBodySchema },
      { type: 'text/plain', schema: BulkBodySchema },
    ],
    responses: {
      '200': {
        description: 'bulk_mode=sync: copied byte for byte. Async: a redelivery (DUPLICATE, first job_id)',
        schema: z.union([R.BulkReply, R.BulkDuplicate]),
      },
      '202': { description: 'bulk_mode=async (default): the copy job is queued', schema: R.BulkQueued },
      ...common,
      '400': err('A bad field, an unsafe s3_filename, or a source not allowed (VALIDATION_FAILED)'),
      '403': err('Body externalTenantId is not the path tenant (FORBIDDEN)'),
      '500': err('s3_bucket_name, S3 credentials or the BULK_COPY binding missing (CONFIG_INVALID)'),
      '502': err(
        'Sync: source not 2xx or cut (SOURCE_UNAVAILABLE), or S3 refused (S3_UPLOAD_FAILED, with s3_code)',
      ),
    },
  },
  {
    method: 'get',
    path: '/v1/tenants/{tenant}/bulk/jobs/{job_id}',
    summary: 'State of one bulk copy job (CI360 key or admin key of the tenant)',
    tag: 'Bulk',
    security: 'apiKey',
    params: [
      tenantParam,
      { name: 'job_id', in: 'path', description: 'job_id of the 202 reply', schema: z.string() },
    ],
    responses: {
      '200': { description: 'The job', schema: R.BulkJobReply },
      ...common,
      '404': err('No such job for this tenant (NOT_FOUND)'),
    },
  },
]
