import { describe, expect, it } from 'vitest'
import docsPage from '../../public/docs/index.html?raw'
import committed from '../../public/openapi.json'
import { buildOpenApiDocument } from '../../src/openapi/document'
import { appWith } from '../support/app'
import { envWith } from '../support/worker'

/** Routes served as static assets rather than by the Worker's router. */
const ASSET_ROUTES = new Set(['GET /openapi.json', 'GET /docs'])

const toOpenApiPath = (honoPath: string) => honoPath.replace(/:([A-Za-z_]+)/g, '{$1}')

describe('OpenAPI document', () => {
  const document = buildOpenApiDocument()
  const documented = new Set(
    Object.entries(document.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
    ),
  )
  const registered = new Set(
    appWith(envWith([]))
      .app.routes.filter((r) => r.method !== 'ALL')
      .map((r) => `${r.method} ${toOpenApiPath(r.path)}`),
  )

  it('documents every route the Worker registers', () => {
    const missing = [...registered].filter((r) => !documented.has(r))
    expect(missing).toEqual([])
    expect(registered.size).toBeGreaterThanOrEqual(12)
  })

  it('documents no route that does not exist', () => {
    const stale = [...documented].filter((r) => !registered.has(r) && !ASSET_ROUTES.has(r))
    expect(stale).toEqual([])
  })

  it('public/openapi.json is the document generated from the current schemas (run npm run openapi)', () => {
    expect(committed).toEqual(JSON.parse(JSON.stringify(document)))
  })

  it('takes the outbound request schema from the zod schema the route validates with', () => {
    const schemas = document.components.schemas as Record<string, any>
    expect(schemas.OutboundEvent.required).toEqual(
      expect.arrayContaining(['eventType', 'guid', 'date', 'identityId', 'externalTenantId', 'impression']),
    )
    expect(schemas.OutboundEvent.properties.date.properties.generatedTimestamp.type).toBe('number')
  })

  it('the /docs page renders this document', () => {
    expect(docsPage).toContain("url: '/openapi.json'")
    expect(docsPage).toContain('/docs/swagger-ui-bundle.js')
  })
})
