/**
 * npm run size (part of npm run check and CI): what the bundle size stood for is cold start, so this
 * measures it. Builds the Worker minified, as `wrangler deploy --minify` would, fails when the upload is
 * over GZIP_LIMIT (gzip, as Cloudflare counts it), then profiles the startup phase with
 * `wrangler check startup` (runs locally, no account needed) RUNS times and fails when the least startup
 * CPU time is over STARTUP_LIMIT_MS. Limits and how to read them: docs/benchmarks.md, "Startup budget".
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
 * CPU time of a startup profile: the time of every sample that is not `(idle)`. A sample stands for the
 * interval up to the next one (the last one up to `endTime`), as in the DevTools flame chart.
 */
export function startupCpuMs(profile) {
  const frames = new Map(profile.nodes.map((n) => [n.id, n.callFrame.functionName]))
  let at = profile.startTime
  const times = profile.timeDeltas.map((d) => {
    at += d
    return at
  })
  let busy = 0
  profile.samples.forEach((id, i) => {
    const next = i + 1 < times.length ? times[i + 1] : profile.endTime
    if (frames.get(id) !== '(idle)') busy += next - times[i]
  })
  return busy / 1000
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
  for (let i = 0; i < RUNS; i++) {
    const file = path.join(out, `startup-${i}.cpuprofile`)
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
    runs.push(startupCpuMs(JSON.parse(readFileSync(file, 'utf8'))))
  }
  runs.sort((a, b) => a - b)
  const ms = (n) => `${n.toFixed(1)} ms`
  check(
    (runs[0] ?? Number.POSITIVE_INFINITY) <= STARTUP_LIMIT_MS,
    `startup CPU (wrangler check startup, ${RUNS} runs): least ${ms(runs[0])}, median ${ms(runs[Math.floor(runs.length / 2)])}; limit ${ms(STARTUP_LIMIT_MS)}`,
  )
} finally {
  rmSync(out, { recursive: true, force: true })
}
if (failed) process.exitCode = 1
