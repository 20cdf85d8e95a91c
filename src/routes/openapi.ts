import { buildDocument } from '../openapi/operation'
import { adminOperations } from './admin'
import { bulkOperations } from './bulk'
import { genesysOperations } from './genesys'
import { healthOperations } from './health'
import { messageOperations } from './messages'
import { oauthOperations } from './oauth'
import { operatorEventOperations } from './operator-events'
import { operatorSearchOperations } from './operator-search'
import { scgWebhookOperations } from './scg-webhooks'
import { twilioWebhookOperations } from './twilio-webhooks'

/** The OpenAPI document of every route, from the operations each route file exports beside its handlers. */
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
