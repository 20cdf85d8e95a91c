/**
 * The allowed import direction of src/ (docs/architecture.md, "Layers"): arrows point down, from the
 * HTTP edge to the capabilities, to the vendor formats and storage, to lib. Run by `npm run check`.
 */
const EDGE = '^src/(app|index|scheduled|failed-request-kinds)\\.ts$|^src/(http|routes)/'
const CAPABILITIES = '^src/(outbound|inbound|retry|admin|oauth|s3|bulk|openapi|genesys|pacing|failover)/'
const OUTBOX = '^src/outbox/'
const COMPLIANCE = '^src/compliance/'
const DEPS = '^src/deps\\.ts$'
const FORMATS = '^src/(ci360|providers)/'
const BASE = '^src/(config|storage|upstream|pacer)/|^src/version\\.ts$'

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
      `${FORMATS}|${DEPS}|${OUTBOX}|${COMPLIANCE}|${CAPABILITIES}|${EDGE}`,
      'config, storage and upstream only use lib and each other.',
    ),
    forbid(
      'formats-stay-down',
      FORMATS,
      `${DEPS}|${OUTBOX}|${COMPLIANCE}|${CAPABILITIES}|${EDGE}`,
      'Vendor formats and clients know nothing of the flows that use them.',
    ),
    forbid(
      'deps-below-capabilities',
      DEPS,
      `${OUTBOX}|${COMPLIANCE}|${CAPABILITIES}|${EDGE}`,
      'deps.ts builds stores and clients; capabilities take it as a parameter.',
    ),
    forbid(
      'outbox-below-capabilities',
      OUTBOX,
      `^src/providers/|${DEPS}|${COMPLIANCE}|${CAPABILITIES}|${EDGE}`,
      'The outbox (send now, else store for the cron; backoff; the kinds registry) uses config, storage, upstream, lib and the CI360 event format (every capability tells CI360 through it): capabilities plug into it, it names none of them.',
    ),
    forbid(
      'compliance-below-capabilities',
      COMPLIANCE,
      `${FORMATS}|${DEPS}|${OUTBOX}|${CAPABILITIES}|${EDGE}`,
      'The compliance rules (quiet hours, zones) are pure: config types, lib and their own data; every send path may use them.',
    ),
    forbid(
      'outbound-stays-out-of-its-callers',
      '^src/outbound/',
      '^src/(inbound|retry|genesys|bulk)/',
      'The send path is used by CI360 routes, Genesys and the retry; it uses the outbox, never them.',
    ),
    forbid(
      'no-reaching-into-inbound',
      '^src/(outbound|bulk|genesys|retry)/',
      '^src/inbound/',
      'Store-for-the-cron lives in outbox/, Genesys bodies in genesys/: nothing reaches into the inbound flow for them.',
    ),
    forbid(
      'retry-engine-names-no-kind',
      '^src/retry/(engine|cron|track)\\.ts$',
      '^src/(outbound|genesys|ci360|providers)/',
      'The engine is handed the failed-request kinds (src/failed-request-kinds.ts); it names none of them, nor any vendor.',
    ),
    forbid(
      'capabilities-below-http',
      CAPABILITIES,
      EDGE,
      'Capabilities are called by routes, never the reverse.',
    ),
    forbid(
      's3-is-the-copy-engine',
      '^src/s3/',
      `^src/(?!s3/|lib/|config/|upstream/)|${DEPS}`,
      "The streamed copy knows S3 and a source URL, not CI360's bulk webhook: bulk/ calls s3/, never the reverse.",
    ),
    forbid(
      'openapi-below-the-capabilities',
      '^src/openapi/',
      '^src/(outbound|inbound|retry|admin|oauth|s3|bulk|genesys)/',
      'Reply schemas and the Operation shape are imported (as types) by the capabilities; they name none of them. Request schemas reach the document through routes/openapi.ts.',
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
