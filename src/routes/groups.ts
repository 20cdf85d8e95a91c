import type { Hono } from 'hono/tiny'
import type { AppEnv } from '../http/app-env'
import type { Operation } from '../openapi/operation'
import { adminOperations, adminRoutes } from './admin'
import { breakerOperations, breakerRoutes } from './breakers'
import { bulkOperations, bulkRoutes } from './bulk'
import { genesysOperations, genesysRoutes } from './genesys'
import { healthOperations, healthRoutes } from './health'
import { messageOperations, messageRoutes } from './messages'
import { oauthOperations, oauthRoutes } from './oauth'
import { operatorEventOperations, operatorEventRoutes } from './operator-events'
import { operatorSearchOperations, operatorSearchRoutes } from './operator-search'
import { scgWebhookOperations, scgWebhookRoutes } from './scg-webhooks'
import { senderOperations, senderRoutes } from './senders'
import { suppressionOperations, suppressionRoutes } from './suppressions'
import { twilioWebhookOperations, twilioWebhookRoutes } from './twilio-webhooks'

/** One route file: its handlers and the OpenAPI operations that document them. */
export interface RouteGroup {
  readonly routes: Hono<AppEnv>
  readonly operations: readonly Operation[]
}

/**
 * Every route group, once: `app.ts` mounts their handlers and `routes/openapi.ts` documents their
 * operations, so a route file added here is both served and documented (docs/architecture.md,
 * "Where new code goes"). The order is the document's.
 */
export const routeGroups: readonly RouteGroup[] = [
  { routes: healthRoutes, operations: healthOperations },
  { routes: messageRoutes, operations: messageOperations },
  { routes: scgWebhookRoutes, operations: scgWebhookOperations },
  { routes: oauthRoutes, operations: oauthOperations },
  { routes: twilioWebhookRoutes, operations: twilioWebhookOperations },
  { routes: bulkRoutes, operations: bulkOperations },
  { routes: genesysRoutes, operations: genesysOperations },
  { routes: adminRoutes, operations: adminOperations },
  { routes: operatorEventRoutes, operations: operatorEventOperations },
  { routes: operatorSearchRoutes, operations: operatorSearchOperations },
  { routes: suppressionRoutes, operations: suppressionOperations },
  { routes: senderRoutes, operations: senderOperations },
  { routes: breakerRoutes, operations: breakerOperations },
]
