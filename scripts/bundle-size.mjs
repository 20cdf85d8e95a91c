/**
 * npm run size (part of npm run check): build the Worker minified, as `wrangler deploy --minify` would,
 * and fail when index.js is over the project's 200 KiB budget. Prints the size and the room left, so a
 * change that eats most of it shows before it fails. Static assets (public/) are not in the bundle.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

const LIMIT = 200 * 1024
const out = mkdtempSync(path.join(tmpdir(), 'bundle-size-'))
try {
  execFileSync(
    path.join('node_modules', '.bin', 'wrangler'),
    ['deploy', '--dry-run', '--minify', '--outdir', out],
    { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, WRANGLER_SEND_METRICS: 'false' } },
  )
  const bytes = statSync(path.join(out, 'index.js')).size
  const kib = (n) => `${(n / 1024).toFixed(1)} KiB`
  const line = `bundle index.js: ${bytes} bytes (${kib(bytes)}) minified; limit ${kib(LIMIT)}`
  if (bytes > LIMIT) {
    console.error(`${line}: over by ${kib(bytes - LIMIT)}`)
    process.exitCode = 1
  } else {
    console.log(`${line}: ${kib(LIMIT - bytes)} left`)
  }
} finally {
  rmSync(out, { recursive: true, force: true })
}
