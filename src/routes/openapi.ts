import { BulkBodySchema } from '../bulk/request'
import { OutboundEventSchema } from '../ci360/event'
import { buildDocument } from '../openapi/document'
import { ScgEnvelopeSchema } from '../providers/scg/webhook'
import { routeGroups } from './groups'

/** The request bodies named once under components.schemas (every other schema is written inline). */
const REQUEST_SCHEMAS = {
  OutboundEvent: OutboundEventSchema,
  ScgEnvelope: ScgEnvelopeSchema,
  BulkWebhook: BulkBodySchema,
}

/** The OpenAPI document of every route group, from the operations each route file declares beside its handlers. */
export const buildOpenApiDocument = () =>
  buildDocument(
    routeGroups.flatMap((group) => group.operations),
    REQUEST_SCHEMAS,
  )
