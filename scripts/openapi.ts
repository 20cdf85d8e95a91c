/** npm run openapi: regenerate public/openapi.json from the routes' zod schemas. */
import { writeFileSync } from 'node:fs'
import { buildOpenApiDocument } from '../src/routes/openapi'

const file = new URL('../public/openapi.json', import.meta.url)
writeFileSync(file, `${JSON.stringify(buildOpenApiDocument(), null, 2)}\n`)
console.log(`wrote ${file.pathname}`)
