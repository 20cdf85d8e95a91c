import { createApp } from '../../src/app'
import { depsFor, type Runtime } from '../../src/deps'
import { createLogger } from '../../src/lib/log'

/** Build the app on the Worker's own composition (`depsFor`), with deterministic jitter, no logs, and `overrides`. */
export function appWith(testEnv: Env, overrides: Partial<Runtime> = {}) {
  const composed = depsFor(testEnv, { random: () => 0.5, log: createLogger('silent'), ...overrides })
  if (!composed.ok) throw new Error(composed.issues.join('; '))
  return { app: createApp(composed.deps), deps: composed.deps }
}
