import { Hono } from 'hono/tiny'
import type { AppEnv } from '../http/app-env'
import { reply } from '../http/reply'
import * as R from '../openapi/replies'
import { VERSION } from '../version'

/** `GET /health`: liveness only; no tenant list, no secrets. */
export const healthRoutes = new Hono<AppEnv>().get('/health', (c) =>
  reply(c, 200, R.HealthReply, { status: 'OK', version: VERSION }),
)
