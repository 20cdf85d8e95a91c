import { genesysOperations } from '../openapi/genesys-operations'
import { buildDocument } from '../openapi/operation'
import {
  adminOperations,
  operatorEventOperations,
  operatorSearchOperations,
} from '../openapi/operator-operations'
import {
  bulkOperations,
  healthOperations,
  messageOperations,
  oauthOperations,
  scgWebhookOperations,
  twilioWebhookOperations,
} from '../openapi/route-operations'

/** The OpenAPI document of every route, from the operations src/openapi/*-operations.ts list per route file. */
export const buildOpenApiDocument = () =>
  buildDocument([
    ...healthOperations,
    ...messageOperations,
    ...scgWebhookOperations,
    ...oauthOperations,
    ...twilioWebhookOperations,
    ...bulkOperations,
    ...genesysOperations,
    ...adminOperations,
    ...operatorEventOperations,
    ...operatorSearchOperations,
  ])
