import type { Context } from 'hono'
import { Hono } from 'hono/tiny'
import type { Deps } from './deps'
import type { AppEnv } from './http/app-env'
import { errorBody, renderError } from './http/errors'
import { nosniff } from './http/nosniff'
import { AppError } from './lib/app-error'
import { routeGroups } from './routes/groups'

/** The request's `waitUntil`, when it runs with an execution context (Hono's getter throws otherwise). */
function waitUntilOf(c: Context<AppEnv>): ((work: Promise<unknown>) => void) | undefined {
  try {
    const ctx = c.executionCtx
    return (work) => ctx.waitUntil(work)
  } catch {
    return undefined
  }
}

/** The whole HTTP surface. Deps are injected so tests can swap clock, storage and fetch. */
export function createApp(deps: Deps): Hono<AppEnv> {
  const app = new Hono<AppEnv>()

  app.use('*', nosniff)
  app.use('*', async (c, next) => {
    const requestId = crypto.randomUUID()
    c.set('requestId', requestId)
    const log = deps.log.child({ request_id: requestId })
    c.set('log', log)
    // The one request context handlers use: the isolate's deps with this request's log.
    c.set('deps', { ...deps, log, waitUntil: waitUntilOf(c) })
    await next()
    c.header('x-request-id', requestId)
  })

  for (const group of routeGroups) app.route('/', group.routes)

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
  app.use('*', nosniff)
  app.all('*', () => {
    throw new AppError('CONFIG_INVALID', `The Worker configuration is invalid: ${keys}.`)
  })
  app.onError(renderError)
  return app
}
