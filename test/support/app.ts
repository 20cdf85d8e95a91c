import { env } from 'cloudflare:workers'
import { createApp } from '../../src/app'
import { loadConfig } from '../../src/config/env'
import { createDeps, type Runtime } from '../../src/deps'
import { createLogger } from '../../src/lib/log'

/** Build the app with real bindings and the given overrides (clock, storage, fetch). */
export function appWith(testEnv: Env, overrides: Partial<Runtime> = {}) {
  const loaded = loadConfig(testEnv as unknown as Record<string, unknown>)
  if (!loaded.ok) throw new Error(loaded.issues.join('; '))
  const deps = createDeps({
    config: loaded.config,
    db: env.DB,
    kv: env.IDENTITY_CACHE,
    fetch: (input, init) => fetch(input, init),
    now: () => Date.now(),
    random: () => 0.5,
    log: createLogger('silent'),
    ...overrides,
  })
  return { app: createApp(deps), deps }
}
