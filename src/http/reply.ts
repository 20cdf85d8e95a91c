import type { Context } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import type * as z from 'zod/mini'
import type { Body } from '../openapi/reply'

/**
 * A reply schema named by its type only. The schemas document public/openapi.json (through the
 * operations beside each route) and type the handlers; a reply is never parsed at run time, so the
 * handler names only the type.
 */
export interface SchemaRef<S extends z.ZodMiniType> {
  readonly schema?: S
}

const REF: SchemaRef<z.ZodMiniType> = Object.freeze({})

/** `schema<typeof R.HealthReply>()`: the reference `reply` takes (one shared object, nothing allocated). */
export const schema = <S extends z.ZodMiniType>(): SchemaRef<S> => REF as SchemaRef<S>

/**
 * A JSON reply whose body must be of `schema`'s type: the schema the route's OpenAPI operation
 * documents for that status. Nothing is parsed at run time; the check is the compiler's.
 */
export function reply<S extends z.ZodMiniType>(
  c: Context,
  status: ContentfulStatusCode,
  _schema: SchemaRef<S>,
  body: Body<S>,
  headers?: Record<string, string>,
): Response {
  return c.json(body as object, status, headers)
}
