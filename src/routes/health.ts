import { Hono } from 'hono/tiny'
import type { AppEnv } from '../http/app-env'
import { reply, schema } from '../http/reply'
import type { Operation } from '../openapi/operation'
import * as R from '../openapi/replies'
import { VERSION } from '../version'

/** `GET /health`: liveness only; no tenant list, no secrets. */
export const healthRoutes = new Hono<AppEnv>().get('/health', (c) =>
  reply(c, 200, schema<typeof R.HealthReply>(), { status: 'OK', version: VERSION }),
)

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
