import * as z from 'zod/mini'
import { ScgMoFieldsSchema, ScgStatusFieldsSchema } from '../providers/scg/webhook'
import { VERSION } from '../version'
import type { Operation, Schema, Security } from './operation'
import * as R from './replies'

/**
 * OpenAPI 3.1 from zod: the request schemas the routes validate with and the reply schemas of
 * replies.ts. Only the document's builder (routes/openapi.ts, run by `npm run openapi` and the tests)
 * imports this file, so `z.toJSONSchema` stays out of the Worker bundle.
 */

/**
 * Reply schemas, and the request schemas the caller names, are written once under components.schemas
 * and referenced from every operation.
 */
type Named = Map<Schema, string>
const namedSchemas = (requests: Record<string, Schema>) =>
  new Map<Schema, string>(
    Object.entries({ ...R, ...requests }).map(([name, schema]) => [schema as Schema, name]),
  )

const inline = (s: Schema) => {
  const out = z.toJSONSchema(s, { io: 'output', unrepresentable: 'any' }) as Record<string, unknown>
  delete out.$schema
  return out
}

const json = (named: Named, s: Schema) => {
  const name = named.get(s)
  return name ? { $ref: `#/components/schemas/${name}` } : inline(s)
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

function operationObject(op: Operation, named: Named) {
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
            schema: json(named, p.schema),
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
                { schema: json(named, b.schema), ...(b.description ? { description: b.description } : {}) },
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
            ? { content: { [r.type ?? 'application/json']: { schema: json(named, r.schema) } } }
            : r.type
              ? { content: { [r.type]: {} } }
              : {}),
        },
      ]),
    ),
  }
}

/**
 * The OpenAPI 3.1 document of `operations`. `requests` names the request schemas written once under
 * components.schemas (the capabilities' own schemas: the caller, at the edge, may import them).
 */
export function buildDocument(operations: readonly Operation[], requests: Record<string, Schema> = {}) {
  const named = namedSchemas(requests)
  const paths: Record<string, Record<string, unknown>> = {}
  for (const op of operations) {
    paths[op.path] ??= {}
    ;(paths[op.path] as Record<string, unknown>)[op.method] = operationObject(op, named)
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'CI360 edge connector',
      version: VERSION,
      description:
        'Links SAS CI360 to Syniverse SCG, Twilio and S3. Every JSON reply has a status: OK, QUEUED, ACCEPTED, DEFERRED, SUPPRESSED, DUPLICATE, STALE, IGNORED or ERROR.',
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
        ...Object.fromEntries([...named].map(([schema, name]) => [name, inline(schema)])),
        ScgStatusFields: inline(ScgStatusFieldsSchema),
        ScgMoFields: inline(ScgMoFieldsSchema),
      },
    },
  }
}
