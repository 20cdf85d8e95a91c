import * as z from 'zod/mini'
import * as R from './replies'

/**
 * An OpenAPI operation as the route files declare it beside their handlers (src/routes/*.ts), and the
 * parts they share. routes/groups.ts lists every route group with its operations; document.ts turns
 * them into the OpenAPI 3.1 document (`npm run openapi` writes public/openapi.json, served at
 * GET /openapi.json, and a test keeps that file and the routes in step).
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
  method: 'get' | 'put' | 'post' | 'delete'
  path: string
  summary: string
  tag: string
  security: Security
  body?: { type: string; schema: Schema; description?: string }[]
  params?: { name: string; in: 'path' | 'query'; description: string; schema: Schema }[]
  responses: Record<string, { description: string; schema?: Schema; type?: string }>
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

/** An operator API operation: the admin key, the tenant in the path, 401 and 404 answers. */
export const adminOperation = (
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
  params: [tenantParam, ...params],
  responses: { ...responses, '401': common['401'], '404': err('Unknown id or guid (NOT_FOUND)') },
})

/** A documented query parameter (a string unless `schema` says otherwise). */
export const query = (name: string, description: string, schema: z.ZodMiniType = z.string()) => ({
  name,
  in: 'query' as const,
  description,
  schema,
})
/** The paging parameters every console search takes. */
const page = [
  query('from', 'ISO 8601, inclusive'),
  query('to', 'ISO 8601, exclusive'),
  query('limit', '1–100, default 50', z.int()),
  query('cursor', 'next_cursor of the previous page'),
]

/** A console search: GET, newest first, filtered by `filters` and paged; a bad parameter is a 400. */
export const searchOperation = (
  path: string,
  summary: string,
  ok: Operation['responses'][string],
  bad: string,
  filters: NonNullable<Operation['params']>,
) => adminOperation('get', path, summary, { '200': ok, '400': err(bad) }, [...filters, ...page])
