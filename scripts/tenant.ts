/**
 * npm run tenant -- <tenantId> <file.json> [--dry-run] [--env <name>]
 *
 * Validates a tenant's JSON with the Worker's own schema, then stores it as the secret TENANT_<id>
 * with `wrangler secret put` (the JSON goes through stdin; it is never printed).
 */
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { parseTenant, TENANT_ID_PATTERN, tenantSecretName } from '../src/config/tenant'

function fail(message: string): never {
  console.error(message)
  process.exit(1)
}

const args = process.argv.slice(2)
const dryRun = args.includes('--dry-run')
const envIndex = args.indexOf('--env')
const envName = envIndex >= 0 ? args[envIndex + 1] : undefined
const positional = args.filter((a, i) => !a.startsWith('--') && (envIndex < 0 || i !== envIndex + 1))
const [tenantId, file] = positional

if (!tenantId || !file) fail('usage: npm run tenant -- <tenantId> <file.json> [--dry-run] [--env <name>]')
if (!TENANT_ID_PATTERN.test(tenantId))
  fail(`tenant id must match ${TENANT_ID_PATTERN} (CI360's externalTenantId)`)

let text: string
try {
  text = readFileSync(file, 'utf8')
} catch {
  fail(`cannot read ${file}`)
}

const parsed = parseTenant(tenantId, text, {})
if (!parsed.ok) {
  fail(
    `${tenantSecretName(tenantId)} is not valid (keys only, values are never shown):\n  ${parsed.issues.join('\n  ')}`,
  )
}
const keys = Object.keys(JSON.parse(text) as object).sort()
console.log(`${tenantSecretName(tenantId)} is valid: ${keys.length} keys (${keys.join(', ')}).`)
if (dryRun) process.exit(0)

const wranglerArgs = [
  'wrangler',
  'secret',
  'put',
  tenantSecretName(tenantId),
  ...(envName ? ['--env', envName] : []),
]
const result = spawnSync('npx', wranglerArgs, {
  input: text,
  stdio: ['pipe', 'inherit', 'inherit'],
  env: { ...process.env, WRANGLER_SEND_METRICS: 'false' },
})
process.exit(result.status ?? 1)
