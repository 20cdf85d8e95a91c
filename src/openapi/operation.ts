import * as z from 'zod/mini'
import { OutboundEventSchema } from '../ci360/event'
import { ScgEnvelopeSchema, ScgMoFieldsSchema, ScgStatusFieldsSchema } from '../providers/scg/webhook'
import { BulkBodySchema } from '../s3/bulk-request'
import { VERSION } from '../version'
import * as R from './replies'

/**
 * OpenAPI 3.1 from zod: the request schemas the routes validate with and the reply schemas of
 * replies.ts. The operations of the route files are listed in ./*-operations.ts (outside the Worker
 * bundle); routes/openapi.ts gathers them, `npm run openapi`
 * writes public/openapi.json (served at GET /openapi.json), and a test keeps that file and the routes in step.
 */

export type Schema = z.ZodMiniType
export type Security =
  | 'apiKey'
  | 'adminKey'
  | 'scgWebhook'
  | 'twilioSignature'
  | 'genesysSignature'
  | 'multicloudSignature'
  | 'oauthClient'
  | 'none'

export interface Operation {
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

export const tenantParam = {
  name: 'tenant',
  in: 'path' as const,
  description: 'CI360 externalTenantId',
  schema: z.string(),
}
export const err = (description: string) => ({ description, schema: R.ErrorReply })
export const common = {
  '400': err('Malformed body (INVALID_JSON) or a bad field (VALIDATION_FAILED, naming it)'),
  '401': err('Missing or wrong credentials, or unknown tenant (UNAUTHORIZED)'),
  '413': err('Body over 256 KiB (BODY_TOO_LARGE)'),
  '503': err('Storage unavailable (STORAGE_UNAVAILABLE): redeliver later'),
}

const SECURITY: Record<Exclude<Security, 'none'>, Record<string, string[]>[]> = {
  apiKey: [{ tenantApiKey: [] }],
  adminKey: [{ adminApiKey: [] }],
  scgWebhook: [{ webhookBasic: [] }, { webhookBearer: [] }],
  twilioSignature: [{ twilioSignature: [] }],
  genesysSignature: [{ genesysSignature: [] }],
  multicloudSignature: [{ multicloudSignature: [] }],
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

/** The OpenAPI 3.1 document of `operations`. */
export function buildDocument(operations: readonly Operation[]) {
  const paths: Record<string, Record<string, unknown>> = {}
  for (const op of operations) {
    paths[op.path] ??= {}
    ;(paths[op.path] as Record<string, unknown>)[op.method] = operationObject(op)
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'CI360 edge connector',
      version: VERSION,
      description:
        'Links SAS CI360 to Syniverse SCG, Twilio and S3. Every JSON reply has a status: OK, QUEUED, DEFERRED, DUPLICATE, STALE, IGNORED or ERROR.',
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
        genesysSignature: {
          type: 'apiKey',
          in: 'header',
          name: 'X-Hub-Signature-256',
          description: "sha256= + base64 HMAC-SHA256 of the raw body with the integration's outbound_secret",
        },
        multicloudSignature: {
          type: 'apiKey',
          in: 'header',
          name: 'X-Hub-Signature',
          description: "sha1= + hex (or base64) HMAC-SHA1 of the raw body with the channel's webhook_secret",
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
