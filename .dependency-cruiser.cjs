/**
 * The allowed import direction of src/ (docs/architecture.md, "Layers"): arrows point down, from the
 * HTTP edge to the capabilities, to the vendor formats and storage, to lib. Run by `npm run check`.
 */
const EDGE = '^src/(app|index)\\.ts$|^src/(http|routes)/'
const CAPABILITIES = '^src/(outbound|inbound|retry|admin|oauth|s3|bulk|openapi)/'
const DEPS = '^src/deps\\.ts$'
const FORMATS = '^src/(ci360|providers)/'
const BASE = '^src/(config|storage|upstream)/|^src/version\\.ts$'

const forbid = (name, from, to, comment) => ({
  name,
  severity: 'error',
  comment,
  from: { path: from },
  to: { path: to },
})

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'A module must not import one that imports it back, even for types.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    forbid('lib-is-a-leaf', '^src/lib/', '^src/(?!lib/)', 'lib/ imports nothing of the app.'),
    forbid(
      'base-stays-down',
      BASE,
      `${FORMATS}|${DEPS}|${CAPABILITIES}|${EDGE}`,
      'config, storage and upstream only use lib and each other.',
    ),
    forbid(
      'formats-stay-down',
      FORMATS,
      `${DEPS}|${CAPABILITIES}|${EDGE}`,
      'Vendor formats and clients know nothing of the flows that use them.',
    ),
    forbid(
      'deps-below-capabilities',
      DEPS,
      `${CAPABILITIES}|${EDGE}`,
      'deps.ts builds stores and clients; capabilities take it as a parameter.',
    ),
    forbid(
      'capabilities-below-http',
      CAPABILITIES,
      EDGE,
      'Capabilities are called by routes, never the reverse.',
    ),
    forbid(
      'openapi-document-out-of-the-bundle',
      '^src/(?!routes/openapi\\.ts$)',
      '^src/openapi/document\\.ts$|^src/routes/openapi\\.ts$',
      'Operations live beside their handlers and ship in the Worker; the document builder (z.toJSONSchema) does not: only routes/openapi.ts, run by npm run openapi and the tests, builds it (npm run size).',
    ),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '\\.test\\.ts$' },
  },
}
