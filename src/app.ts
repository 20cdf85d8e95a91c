import { Hono } from 'hono/tiny'
import type { AppEnv } from './app-env'
import type { Deps } from './deps'
import { AppError } from './lib/app-error'
import { errorBody, renderError } from './lib/errors-render'
import { adminRoutes } from './routes/admin'
import { bulkRoutes } from './routes/bulk'
import { healthRoutes } from './routes/health'
import { messageRoutes } from './routes/messages'
import { operatorRoutes } from './routes/operator'
import { scgWebhookRoutes } from './routes/scg-webhooks'
import { twilioWebhookRoutes } from './routes/twilio-webhooks'

/** The whole HTTP surface (DESIGN §2). Deps are injected so tests can swap clock, storage and fetch. */
export function createApp(deps: Deps): Hono<AppEnv> {
  const app = new Hono<AppEnv>()

  app.use('*', async (c, next) => {
    const requestId = crypto.randomUUID()
    c.set('requestId', requestId)
    c.set('deps', deps)
    c.set('log', deps.log.child({ request_id: requestId }))
    await next()
    c.header('x-request-id', requestId)
  })

  app.route('/', healthRoutes)
  app.route('/', messageRoutes)
  app.route('/', adminRoutes)
  app.route('/', operatorRoutes)
  app.route('/', twilioWebhookRoutes)
  app.route('/', scgWebhookRoutes)
  app.route('/', bulkRoutes)

  app.notFound((c) =>
    c.json(
      errorBody(
        'NOT_FOUND',
        `No route for ${c.req.method} ${new URL(c.req.url).pathname}.`,
        c.get('requestId'),
      ),
      404,
    ),
  )
  app.onError(renderError)
  return app
}

/** The app served when the global configuration does not parse: every route explains, none runs. */
export function createConfigErrorApp(issues: string[]): Hono<AppEnv> {
  const app = new Hono<AppEnv>()
  const keys = issues.map((i) => i.split(':')[0]).join(', ')
  app.all('*', () => {
    throw new AppError('CONFIG_INVALID', 500, `The Worker configuration is invalid: ${keys}.`)
  })
  app.onError(renderError)
  return app
}
