/**
 * npm run size (part of npm run check and CI): what the bundle size stood for is cold start, so this
 * measures it. Builds the Worker minified, as `wrangler deploy --minify` would, fails when the upload is
 * over GZIP_LIMIT_KIB (gzip, as Cloudflare counts it), then profiles the startup phase RUNS times with
 * `wrangler check startup` (runs locally, no account needed) and fails when the median startup CPU time
 * is over STARTUP_LIMIT_MS. Limits and how to read them: docs/benchmarks.md, "Startup budget".
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

const GZIP_LIMIT_KIB = 128
const STARTUP_LIMIT_MS = 25
const RUNS = Number(process.env.STARTUP_RUNS ?? 5)

const wrangler = path.join('node_modules', '.bin', 'wrangler')
const env = { ...process.env, WRANGLER_SEND_METRICS: 'false' }
const out = mkdtempSync(path.join(tmpdir(), 'startup-budget-'))

/**
 * CPU time of a startup profile: its samples that are not `(idle)`, times the sampling interval (the
 * lower quartile of the gaps between samples, about 1 ms). Summing the gaps instead would count the
 * time the thread waited for a core on a busy machine as CPU. `undefined` when no sample landed in
 * JavaScript: that run did not catch the Worker starting.
 */
function startupCpuMs(profile) {
  const frames = new Map(profile.nodes.map((n) => [n.id, n.callFrame]))
  const gaps = [...profile.timeDeltas].sort((a, b) => a - b)
  const interval = gaps[Math.floor(gaps.length / 4)] ?? 0
  const sampled = profile.samples.map((id) => frames.get(id))
  if (!sampled.some((frame) => frame.url !== '')) return undefined
  return (sampled.filter((frame) => frame.functionName !== '(idle)').length * interval) / 1000
}

let failed = false
const check = (ok, line) => {
  if (ok) console.log(line)
  else {
    console.error(`${line}: OVER`)
    failed = true
  }
}

try {
  const build = execFileSync(
    wrangler,
    ['deploy', '--dry-run', '--minify', '--outdir', path.join(out, 'dist')],
    {
      env,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  )
  const sizes = /Total Upload: ([\d.]+) KiB \/ gzip: ([\d.]+) KiB/.exec(build)
  if (!sizes) throw new Error('wrangler did not print the upload size')
  const [minKiB, gzipKiB] = [Number(sizes[1]), Number(sizes[2])]
  check(
    gzipKiB <= GZIP_LIMIT_KIB,
    `bundle: ${minKiB} KiB minified, ${gzipKiB} KiB gzip; gzip limit ${GZIP_LIMIT_KIB} KiB`,
  )

  const runs = []
  for (let attempt = 0; runs.length < RUNS && attempt < RUNS * 3; attempt++) {
    const file = path.join(out, `startup-${attempt}.cpuprofile`)
    // Quiet unless it fails: every run warns that the command is an alpha.
    try {
      execFileSync(wrangler, ['check', 'startup', '--args=--minify', '--outfile', file], {
        env,
        stdio: ['ignore', 'ignore', 'pipe'],
      })
    } catch (error) {
      process.stderr.write(error.stderr ?? '')
      throw error
    }
    const ms = startupCpuMs(JSON.parse(readFileSync(file, 'utf8')))
    if (ms !== undefined) runs.push(ms)
  }
  if (runs.length < RUNS) throw new Error(`only ${runs.length} of ${RUNS} startup profiles caught the Worker`)
  runs.sort((a, b) => a - b)
  const median = runs[Math.floor(runs.length / 2)] ?? Number.POSITIVE_INFINITY
  const ms = (n) => `${n.toFixed(1)} ms`
  check(
    median <= STARTUP_LIMIT_MS,
    `startup CPU (wrangler check startup, ${RUNS} runs): median ${ms(median)} (${runs.map((r) => r.toFixed(1)).join(', ')}); limit ${ms(STARTUP_LIMIT_MS)}`,
  )
} finally {
  rmSync(out, { recursive: true, force: true })
}
if (failed) process.exitCode = 1
