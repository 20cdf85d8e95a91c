import { describe, expect, it } from 'vitest'
import docsPage from '../../public/docs/index.html?raw'
import committed from '../../public/openapi.json'
import { ErrorReply, HealthReply } from '../../src/openapi/replies'
import { buildOpenApiDocument } from '../../src/routes/openapi'
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

  it('every operation documents a 2xx answer, and every JSON error answer is the one error body', () => {
    const errorRef = { $ref: '#/components/schemas/ErrorReply' }
    for (const [path, ops] of Object.entries(document.paths)) {
      for (const [method, op] of Object.entries(ops as Record<string, any>)) {
        const codes = Object.keys(op.responses)
        expect(
          codes.some((c) => c.startsWith('2')),
          `${method} ${path}`,
        ).toBe(true)
        if (path === '/v1/oauth/token') continue
        for (const code of codes.filter((c) => Number(c) >= 400)) {
          expect(op.responses[code].content['application/json'].schema, `${method} ${path} ${code}`).toEqual(
            errorRef,
          )
        }
      }
    }
    expect(
      (document.paths['/health'] as any).get.responses['200'].content['application/json'].schema,
    ).toEqual({
      $ref: '#/components/schemas/HealthReply',
    })
  })

  it('the Worker answers with the documented reply schemas', async () => {
    const { app } = appWith(envWith([]))
    const health = await app.request('/health')
    expect(health.status).toBe(200)
    expect(HealthReply.safeParse(await health.json()).success).toBe(true)
    const refused = await app.request('/v1/tenants/aaaaaaaaaaaaaaaaaaaaaaaa/failed-requests', {
      headers: { 'x-api-key': 'wrong' },
    })
    expect(refused.status).toBe(401)
    expect(ErrorReply.safeParse(await refused.json()).success).toBe(true)
  })

  it('the /docs page renders this document', () => {
    expect(docsPage).toContain("url: '/openapi.json'")
    expect(docsPage).toContain('/docs/swagger-ui-bundle.js')
  })
})
