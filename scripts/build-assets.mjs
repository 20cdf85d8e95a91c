// Run by wrangler before `dev` and `deploy` ([build] in wrangler.toml): puts the API reference page's
// renderer (swagger-ui-dist, a dev dependency) next to public/docs/index.html. The files are generated,
// not committed.
import { copyFileSync, existsSync, mkdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'

const require = createRequire(import.meta.url)
const out = path.join(import.meta.dirname, '..', 'public', 'docs')
mkdirSync(out, { recursive: true })
let dist
try {
  dist = path.dirname(require.resolve('swagger-ui-dist/package.json'))
} catch {
  console.warn('swagger-ui-dist is not installed: /docs will not render (run npm ci).')
  process.exit(0)
}
for (const file of ['swagger-ui-bundle.js', 'swagger-ui.css']) {
  const target = path.join(out, file)
  if (!existsSync(target)) copyFileSync(path.join(dist, file), target)
}
