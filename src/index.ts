import type { Hono } from 'hono'
import { createApp, createConfigErrorApp } from './app'
import type { AppEnv } from './app-env'
import { sweepBulkJobs } from './bulk/sweep'
import { loadConfig } from './config/env'
import { createDeps, type Deps } from './deps'
import { createLogger } from './lib/log'
import { runScheduled } from './retry/cron'

export { BulkCopyWorkflow } from './bulk/workflow'

const apps = new WeakMap<object, { app: Hono<AppEnv>; deps?: Deps }>()

/** Parse config and build deps once per env object (i.e. per isolate), not per request. */
function appFor(env: Env): { app: Hono<AppEnv>; deps?: Deps } {
  const hit = apps.get(env)
  if (hit) return hit
  const raw = env as unknown as Record<string, unknown>
  const loaded = loadConfig(raw)
  let built: { app: Hono<AppEnv>; deps?: Deps }
  if (!loaded.ok) {
    createLogger().error('configuration invalid', { issues: loaded.issues })
    built = { app: createConfigErrorApp(loaded.issues) }
  } else {
    const deps = createDeps(env, loaded.config)
    built = { app: createApp(deps), deps }
  }
  apps.set(env, built)
  return built
}

export default {
  fetch(request, env, ctx) {
    return appFor(env).app.fetch(request, env, ctx)
  },
  async scheduled(controller, env, ctx) {
    const { deps } = appFor(env)
    if (!deps) return
    ctx.waitUntil(runScheduled(deps, controller.scheduledTime))
    ctx.waitUntil(sweepBulkJobs(deps))
  },
} satisfies ExportedHandler<Env>
