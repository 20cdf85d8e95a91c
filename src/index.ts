import type { Hono } from 'hono'
import { createApp, createConfigErrorApp } from './app'
import { sweepBulkJobs } from './bulk/sweep'
import { type Deps, depsFor } from './deps'
import type { AppEnv } from './http/app-env'
import { createLogger } from './lib/log'
import { consumeSends } from './pacing/consumer'
import { runScheduled } from './scheduled'

export { ProviderBreaker } from './breaker/provider-breaker'
export { BulkCopyWorkflow } from './bulk/workflow'
export { SenderPacer } from './pacer/sender-pacer'

const apps = new WeakMap<object, { app: Hono<AppEnv>; deps?: Deps; issues?: string[] }>()

/** Parse config and build deps once per env object (i.e. per isolate), not per request. */
function appFor(env: Env): { app: Hono<AppEnv>; deps?: Deps; issues?: string[] } {
  const hit = apps.get(env)
  if (hit) return hit
  const composed = depsFor(env)
  let built: { app: Hono<AppEnv>; deps?: Deps; issues?: string[] }
  if (!composed.ok) {
    createLogger().error('configuration invalid', { issues: composed.issues })
    built = { app: createConfigErrorApp(composed.issues), issues: composed.issues }
  } else {
    built = { app: createApp(composed.deps), deps: composed.deps }
  }
  apps.set(env, built)
  return built
}

export default {
  fetch(request, env, ctx) {
    return appFor(env).app.fetch(request, env, ctx)
  },
  async scheduled(controller, env, ctx) {
    const { deps, issues } = appFor(env)
    if (!deps) {
      // Nothing is retried or purged until the configuration is fixed: say so every minute.
      createLogger().error('cron skipped: configuration invalid', { issues: issues ?? [] })
      return
    }
    ctx.waitUntil(runScheduled(deps, controller.scheduledTime))
    ctx.waitUntil(sweepBulkJobs(deps))
  },
  async queue(batch, env, ctx) {
    const { deps, issues } = appFor(env)
    if (!deps) {
      // Retried by the queue (and found by the cron) once the configuration is fixed.
      createLogger().error('send queue paused: configuration invalid', { issues: issues ?? [] })
      batch.retryAll({ delaySeconds: 60 })
      return
    }
    await consumeSends({ ...deps, waitUntil: (p) => ctx.waitUntil(p) }, batch)
  },
} satisfies ExportedHandler<Env>
