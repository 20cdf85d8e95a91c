import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { parseEnv } from 'node:util'
import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-pool-workers'
import { defineConfig } from 'vitest/config'
import { bulkJobsTenantSecret } from './test/support/bulk-jobs-tenant'
import { queuedTenantSecret } from './test/support/queued-tenant'

/**
 * The pool reads `.dev.vars` like `wrangler dev` does; a developer's local secrets (the demo tenant of
 * `npm run dev`) must not leak into the tests, so every key found there is blanked.
 */
function blankDevVars(): Record<string, string> {
  const file = path.join(import.meta.dirname, '.dev.vars')
  if (!existsSync(file)) return {}
  return Object.fromEntries(Object.keys(parseEnv(readFileSync(file, 'utf8'))).map((k) => [k, '']))
}

export default defineConfig(async () => {
  const migrations = await readD1Migrations(path.join(import.meta.dirname, 'migrations'))
  return {
    test: {
      projects: [
        {
          plugins: [
            cloudflareTest(({ inject }) => ({
              wrangler: { configPath: './wrangler.toml' },
              miniflare: {
                // More databases for the shard tests (test/integration/shards.test.ts); wrangler.toml binds `DB` only.
                d1Databases: {
                  DB: 'connector',
                  DB_2: 'connector-2',
                  DB_3: 'connector-3',
                  DB_4: 'connector-4',
                },
                bindings: {
                  ...blankDevVars(),
                  TEST_MIGRATIONS: migrations,
                  log_level: 'silent',
                  // Workflow instances read tenants from the Worker's own env, not from a test's copy of it.
                  ...bulkJobsTenantSecret(inject('fakes')),
                  // So is the send queue's consumer.
                  ...queuedTenantSecret(inject('fakes')),
                },
              },
            })),
          ],
          test: {
            name: 'workers',
            globalSetup: ['./test/global-setup.ts'],
            setupFiles: ['./test/setup.ts'],
            include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
            exclude: ['test/console/**'],
            testTimeout: 20_000,
          },
        },
        // The operator console in headless Chromium against `wrangler dev` (Node side).
        {
          test: {
            name: 'console',
            environment: 'node',
            include: ['test/console/**/*.test.ts'],
            testTimeout: 60_000,
            hookTimeout: 180_000,
          },
        },
      ],
    },
  }
})
