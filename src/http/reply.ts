import type { Context } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import type * as z from 'zod/mini'
import type { Body } from '../openapi/reply'

/**
 * A JSON reply whose body must be of `schema`'s type: the schema the route's OpenAPI operation
 * documents for that status. Nothing is parsed at run time; the check is the compiler's.
 */
export function reply<S extends z.ZodMiniType>(
  c: Context,
  status: ContentfulStatusCode,
  _schema: S,
  body: Body<S>,
  headers?: Record<string, string>,
): Response {
  return c.json(body as object, status, headers)
}
