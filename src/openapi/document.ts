import * as z from 'zod/mini'
import { OutboundEventSchema } from '../outbound/event'
import { ScgEnvelopeSchema, ScgMoFieldsSchema, ScgStatusFieldsSchema } from '../providers/scg/webhook'
import { TwilioInboundSchema, TwilioStatusCallbackSchema } from '../providers/twilio/schemas'
import { BulkBodySchema } from '../s3/bulk-request'
import { VERSION } from '../version'
import * as R from './replies'

/**
 * The OpenAPI 3.1 document of every public route, generated from the zod schemas the routes validate
 * requests with (and the reply schemas in replies.ts). `npm run openapi` writes it to
 * public/openapi.json, served at GET /openapi.json; a test keeps that file and the routes in step.
 */

type Schema = z.ZodMiniType
type Security = 'apiKey' | 'adminKey' | 'scgWebhook' | 'twilioSignature' | 'oauthClient' | 'none'

interface Operation {
  method: 'get' | 'post' | 'delete'
  path: string
  summary: string
  tag: string
  security: Security
  body?: { type: string; schema: Schema; description?: string }[]
  params?: { name: string; in: 'path' | 'query'; description: string; schema: Schema }[]
  responses: Record<string, { description: string; schema?: Schema; type?: string }>
}

/** Reply schemas are written once under components.schemas and referenced from every operation. */
const NAMED = new Map<Schema, string>(
  Object.entries({
    ...R,
    OutboundEvent: OutboundEventSchema,
    ScgEnvelope: ScgEnvelopeSchema,
    BulkWebhook: BulkBodySchema,
  }).map(([name, schema]) => [schema as Schema, name]),
)

const inline = (s: Schema) => {
  const out = z.toJSONSchema(s, { io: 'output', unrepresentable: 'any' }) as Record<string, unknown>
  delete out.$schema
  return out
}

const json = (s: Schema) => {
  const name = NAMED.get(s)
  return name ? { $ref: `#/components/schemas/${name}` } : inline(s)
}

const tenant = {
  name: 'tenant',
  in: 'path' as const,
  description: 'CI360 externalTenantId',
  schema: z.string(),
}
const err = (description: string) => ({ description, schema: R.ErrorReply })
const common = {
  '400': err('Malformed body (INVALID_JSON) or a bad field (VALIDATION_FAILED, naming it)'),
  '401': err('Missing or wrong credentials, or unknown tenant (UNAUTHORIZED)'),
  '413': err('Body over 256 KiB (BODY_TOO_LARGE)'),
  '503': err('Storage unavailable (STORAGE_UNAVAILABLE): redeliver later'),
}

const outbound = (provider: 'scg' | 'twilio', label: string): Operation => ({
  method: 'post',
  path: `/v1/tenants/{tenant}/${provider}/messages`,
  summary: `CI360 External System Task event → ${label}`,
  tag: 'Outbound',
  security: 'apiKey',
  params: [tenant],
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
      schema: z.union([R.OutboundOk, R.OutboundDuplicate, R.OutboundSkipped]),
    },
    '202': { description: 'Provider unavailable: stored and retried (QUEUED)', schema: R.OutboundQueued },
    ...common,
    '403': err('Body externalTenantId is not the path tenant (FORBIDDEN)'),
    '409': err('The same guid is being sent right now (IN_PROGRESS)'),
    '422': err('The provider refused the message (PROVIDER_REJECTED, with provider_code)'),
  },
})

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
  params: [tenant],
  body: [{ type: 'application/x-www-form-urlencoded', schema }],
  responses: {
    '200': ok,
    '400': common['400'],
    '403': err('Missing or invalid X-Twilio-Signature (FORBIDDEN)'),
    '413': common['413'],
    '503': common['503'],
  },
})

const admin = (
  method: Operation['method'],
  path: string,
  summary: string,
  responses: Operation['responses'],
  params: Operation['params'] = [],
): Operation => ({
  method,
  path,
  summary,
  tag: 'Operations',
  security: 'adminKey',
  params: [tenant, ...params],
  responses: { ...responses, '401': common['401'], '404': err('Unknown id or guid (NOT_FOUND)') },
})
const id = { name: 'id', in: 'path' as const, description: 'failed request id', schema: z.string() }

export const OPERATIONS: Operation[] = [
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
  outbound('scg', 'Syniverse SCG'),
  outbound('twilio', 'Twilio'),
  scgWebhook('/v1/webhooks/scg', 'Event Manager delivery for any tenant (global credentials)', undefined),
  scgWebhook(
    '/v1/webhooks/scg/{tenant}',
    "Event Manager delivery for one tenant (the tenant's scg_webhook credentials)",
    [tenant],
  ),
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
  twilioWebhook('status', TwilioStatusCallbackSchema, 'Twilio status callback → CI360 event', {
    description: 'OK, DUPLICATE, QUEUED or IGNORED',
    schema: R.WebhookReply,
  }),
  twilioWebhook('inbound', TwilioInboundSchema, 'Twilio incoming message → CI360 event', {
    description: 'Empty TwiML <Response/>',
    type: 'text/xml',
  }),
  {
    method: 'post',
    path: '/v1/tenants/{tenant}/bulk/s3',
    summary: 'CI360 bulk custom task → stream the export file into S3',
    tag: 'Bulk',
    security: 'apiKey',
    params: [tenant],
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
      '400': err('A bad field, an unsafe s3_filename, or a non-https source (VALIDATION_FAILED)'),
      '403': err('Body externalTenantId is not the path tenant (FORBIDDEN)'),
      '500': err('s3_bucket_name or S3 credentials missing (CONFIG_INVALID)'),
      '502': err(
        'Source not 2xx or cut (SOURCE_UNAVAILABLE), or S3 refused (S3_UPLOAD_FAILED, with s3_code)',
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
      tenant,
      { name: 'job_id', in: 'path', description: 'job_id of the 202 reply', schema: z.string() },
    ],
    responses: {
      '200': { description: 'The job', schema: R.BulkJobReply },
      ...common,
      '404': err('No such job for this tenant (NOT_FOUND)'),
    },
  },
  admin(
    'get',
    '/v1/tenants/{tenant}/failed-requests',
    'List failed requests, newest first',
    {
      '200': { description: 'A page', schema: R.FailedRequestList },
      '400': err('Bad state, kind, limit or cursor (VALIDATION_FAILED)'),
    },
    [
      {
        name: 'state',
        in: 'query',
        description: 'pending | done | dead | expired',
        schema: z.enum(['pending', 'done', 'dead', 'expired']),
      },
      {
        name: 'kind',
        in: 'query',
        description: 'scg | twilio | ci360_event',
        schema: z.enum(['scg', 'twilio', 'ci360_event']),
      },
      { name: 'limit', in: 'query', description: '1–100, default 50', schema: z.int() },
      { name: 'cursor', in: 'query', description: 'next_cursor of the previous page', schema: z.string() },
    ],
  ),
  admin(
    'get',
    '/v1/tenants/{tenant}/failed-requests/{id}',
    'One failed request, with its stored event',
    { '200': { description: 'The row', schema: R.FailedRequestOne } },
    [id],
  ),
  admin(
    'post',
    '/v1/tenants/{tenant}/failed-requests/{id}/retry',
    'Retry now; answers as the original route would',
    {
      '200': { description: 'OK or DUPLICATE (already done)' },
      '202': { description: 'QUEUED again' },
      '409': err('Being retried by the cron right now (IN_PROGRESS)'),
      '422': err('PROVIDER_REJECTED'),
      '502': err('Failed again on its last attempt (PROVIDER_UNAVAILABLE)'),
    },
    [id],
  ),
  admin(
    'delete',
    '/v1/tenants/{tenant}/failed-requests/{id}',
    'Discard',
    { '204': { description: 'Discarded' } },
    [id],
  ),
  admin(
    'get',
    '/v1/tenants/{tenant}/messages/{guid}',
    'Delivery record of one CI360 event',
    { '200': { description: 'The record', schema: R.DeliveryRecord } },
    [{ name: 'guid', in: 'path', description: 'CI360 event guid', schema: z.string() }],
  ),
]

const SECURITY: Record<Exclude<Security, 'none'>, Record<string, string[]>[]> = {
  apiKey: [{ tenantApiKey: [] }],
  adminKey: [{ adminApiKey: [] }],
  scgWebhook: [{ webhookBasic: [] }, { webhookBearer: [] }],
  twilioSignature: [{ twilioSignature: [] }],
  oauthClient: [{ clientBasic: [] }, {}],
}

function operationObject(op: Operation) {
  return {
    summary: op.summary,
    tags: [op.tag],
    operationId: `${op.method}${op.path.replace(/[{}]/g, '').replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ?? '').toUpperCase())}`,
    security: op.security === 'none' ? [] : SECURITY[op.security],
    ...(op.params
      ? {
          parameters: op.params.map((p) => ({
            name: p.name,
            in: p.in,
            required: p.in === 'path',
            description: p.description,
            schema: json(p.schema),
          })),
        }
      : {}),
    ...(op.body
      ? {
          requestBody: {
            required: true,
            content: Object.fromEntries(
              op.body.map((b) => [
                b.type,
                { schema: json(b.schema), ...(b.description ? { description: b.description } : {}) },
              ]),
            ),
          },
        }
      : {}),
    responses: Object.fromEntries(
      Object.entries(op.responses).map(([code, r]) => [
        code,
        {
          description: r.description,
          ...(r.schema
            ? { content: { [r.type ?? 'application/json']: { schema: json(r.schema) } } }
            : r.type
              ? { content: { [r.type]: {} } }
              : {}),
        },
      ]),
    ),
  }
}

export function buildOpenApiDocument() {
  const paths: Record<string, Record<string, unknown>> = {}
  for (const op of OPERATIONS) {
    paths[op.path] ??= {}
    ;(paths[op.path] as Record<string, unknown>)[op.method] = operationObject(op)
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'CI360 edge connector',
      version: VERSION,
      description:
        'Links SAS CI360 to Syniverse SCG, Twilio and S3. Every JSON reply has a status: OK, QUEUED, DUPLICATE, STALE, IGNORED or ERROR.',
    },
    tags: [
      { name: 'Outbound' },
      { name: 'Webhooks' },
      { name: 'Bulk' },
      { name: 'Operations' },
      { name: 'Service' },
    ],
    paths,
    components: {
      securitySchemes: {
        tenantApiKey: {
          type: 'apiKey',
          in: 'header',
          name: 'x-api-key',
          description: "One of the tenant's api_keys",
        },
        adminApiKey: {
          type: 'apiKey',
          in: 'header',
          name: 'x-api-key',
          description: "One of the tenant's admin_api_keys",
        },
        webhookBasic: {
          type: 'http',
          scheme: 'basic',
          description: 'SCG_WEBHOOK_AUTH / scg_webhook basic credentials',
        },
        webhookBearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'Access token from /v1/oauth/token',
        },
        twilioSignature: {
          type: 'apiKey',
          in: 'header',
          name: 'X-Twilio-Signature',
          description: "HMAC-SHA1 of URL + sorted params with the tenant's twilio_auth_token",
        },
        clientBasic: {
          type: 'http',
          scheme: 'basic',
          description: 'OAuth client id and secret (or client_id/client_secret in the body)',
        },
      },
      schemas: {
        ...Object.fromEntries([...NAMED].map(([schema, name]) => [name, inline(schema)])),
        ScgStatusFields: inline(ScgStatusFieldsSchema),
        ScgMoFields: inline(ScgMoFieldsSchema),
      },
    },
  }
}
