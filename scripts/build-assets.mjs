// Run by wrangler before `dev` and `deploy` ([build] in wrangler.toml): puts the renderers of the static
// pages next to them — swagger-ui-dist for the API reference (public/docs/) and uPlot for the operator
// console's chart (public/console/vendor/). Both are dev dependencies; the copies are generated, not
// committed, and served by this Worker (the pages load nothing from a CDN).
import { copyFileSync, existsSync, mkdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'

const require = createRequire(import.meta.url)
const publicDir = path.join(import.meta.dirname, '..', 'public')

function copyFrom(pkg, files, outDir, purpose) {
  let dist
  try {
    dist = path.dirname(require.resolve(`${pkg}/package.json`))
  } catch {
    console.warn(`${pkg} is not installed: ${purpose} will not render (run npm ci).`)
    return
  }
  const out = path.join(publicDir, outDir)
  mkdirSync(out, { recursive: true })
  for (const [from, to] of files) {
    const target = path.join(out, to)
    if (!existsSync(target)) copyFileSync(path.join(dist, from), target)
  }
}

copyFrom(
  'swagger-ui-dist',
  [
    ['swagger-ui-bundle.js', 'swagger-ui-bundle.js'],
    ['swagger-ui.css', 'swagger-ui.css'],
  ],
  'docs',
  '/docs',
)
copyFrom(
  'uplot',
  [
    ['dist/uPlot.iife.min.js', 'uPlot.iife.min.js'],
    ['dist/uPlot.min.css', 'uPlot.min.css'],
  ],
  path.join('console', 'vendor'),
  'the /console/ chart',
)
