import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { runRole } from './children'
import { benchS3, printS3Table } from './s3'

/** `npm run bench:s3`: the S3 bulk copy benchmark alone (see s3.ts). */

const MIB = 1024 * 1024

async function main() {
  const args = process.argv.slice(2)
  if (await runRole(args)) return
  const size = args.indexOf('--size-mb')
  const port = args.indexOf('--port')
  const rows = await benchS3({
    ...(size >= 0 ? { sizeBytes: Number(args[size + 1]) * MIB } : {}),
    ...(port >= 0 ? { port: Number(args[port + 1]) } : {}),
    inspector: args.includes('--inspector'),
  })
  printS3Table(rows)
  const dir = path.join(process.cwd(), 'bench', 'results')
  mkdirSync(dir, { recursive: true })
  const file = path.join(dir, `s3-${new Date().toISOString().replace(/[:.]/g, '-')}.json`)
  writeFileSync(file, `${JSON.stringify({ at: new Date().toISOString(), rows }, null, 2)}\n`)
  console.log(`\nwritten ${path.relative(process.cwd(), file)}`)
  if (rows.some((r) => !r.sha256_ok)) process.exitCode = 1
}

main().catch((e: unknown) => {
  console.error(e)
  process.exit(1)
})
