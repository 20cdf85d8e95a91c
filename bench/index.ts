import { execFileSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { runRole } from './children'
import { benchRoutes, formatRow, type RouteBenchRow } from './routes'
import { benchS3, printS3Table, type S3BenchRow } from './s3'

/**
 * `npm run bench`: every route under load (1/16/64 connections), the S3 bulk copy (1 GiB, both source
 * modes, against the AWS SDK baseline), and the minified bundle size from `wrangler deploy --dry-run`.
 * Options: `--seconds N` per load case (default 10), `--s3-size-mb N` (default 1024), `--skip-s3`.
 * Prints a table and writes bench/results/bench-<time>.json.
 */

function bundleKiB(): number {
  const out = execFileSync(
    'node_modules/.bin/wrangler',
    ['deploy', '--dry-run', '--minify', '--outdir', 'bench/.build/bundle'],
    { encoding: 'utf8', env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: '1' } },
  )
  const m = /Total Upload: ([\d.]+) KiB/.exec(out)
  return m ? Number(m[1]) : Number.NaN
}

async function main() {
  const args = process.argv.slice(2)
  if (await runRole(args)) return
  const opt = (name: string) => {
    const i = args.indexOf(name)
    return i >= 0 ? Number(args[i + 1]) : undefined
  }
  const bundle = bundleKiB()
  console.log(`Bundle (wrangler deploy --dry-run --minify): ${bundle} KiB (target < 150 KiB)\n`)

  console.log('Routes (wrangler dev server, inspector off; providers answer at once):')
  const routes: RouteBenchRow[] = await benchRoutes({ seconds: opt('--seconds') ?? 10 })

  let s3: S3BenchRow[] = []
  if (!args.includes('--skip-s3')) {
    s3 = await benchS3({ sizeBytes: (opt('--s3-size-mb') ?? 1024) * 1024 * 1024 })
  }

  console.log('\nSummary')
  console.log(`bundle ${bundle} KiB (target < 150)`)
  for (const r of routes) console.log(formatRow(r))
  const at64 = routes.filter((r) => r.connections === 64)
  console.log(`64 connections: errors ${at64.reduce((n, r) => n + r.errors + r.non_2xx, 0)} (target 0)`)
  console.log(`p99 < 50 ms: ${routes.filter((r) => r.p99_ms < 50).length}/${routes.length} cases`)
  if (s3.length) printS3Table(s3)

  const dir = path.join(process.cwd(), 'bench', 'results')
  mkdirSync(dir, { recursive: true })
  const file = path.join(dir, `bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`)
  writeFileSync(
    file,
    `${JSON.stringify({ at: new Date().toISOString(), bundle_kib: bundle, routes, s3 }, null, 2)}\n`,
  )
  console.log(`\nwritten ${path.relative(process.cwd(), file)}`)
}

main().catch((e: unknown) => {
  console.error(e)
  process.exit(1)
})
