import { Hono } from 'hono/tiny'
import type { AppEnv } from '../http/app-env'
import { reply, schema } from '../http/reply'
import type * as R from '../openapi/replies'
import { VERSION } from '../version'

/** `GET /health`: liveness only; no tenant list, no secrets. */
export const healthRoutes = new Hono<AppEnv>().get('/health', (c) =>
  reply(c, 200, schema<typeof R.HealthReply>(), { status: 'OK', version: VERSION }),
)
