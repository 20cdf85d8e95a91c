// Prepares a local run: .dev.vars from the example when absent, and the local D1 migrations applied.
import { execFileSync } from 'node:child_process'
import { copyFileSync, existsSync } from 'node:fs'

if (!existsSync('.dev.vars')) {
  copyFileSync('.dev.vars.example', '.dev.vars')
  console.log('Created .dev.vars from .dev.vars.example (demo tenant).')
}
execFileSync('npx', ['wrangler', 'd1', 'migrations', 'apply', 'connector', '--local'], {
  stdio: ['ignore', 'ignore', 'inherit'],
  env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: '1' },
})
console.log('Local D1 migrations applied.')
