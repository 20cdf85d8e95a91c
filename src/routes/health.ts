import { Hono } from 'hono/tiny'
import type { AppEnv } from '../http/app-env'
import { VERSION } from '../version'

/** `GET /health`: liveness only; no tenant list, no secrets. */
export const healthRoutes = new Hono<AppEnv>().get('/health', (c) =>
  c.json({ status: 'OK', version: VERSION }),
)
