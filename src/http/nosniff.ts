import type { MiddlewareHandler } from 'hono'

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\b/i

/**
 * `X-Content-Type-Options: nosniff` on every JSON reply, errors included, so a browser never reads a
 * reply as another type than the one declared. Set after the handler, so the replies of `onError` and
 * `notFound` get it as well.
 */
export const nosniff: MiddlewareHandler = async (c, next) => {
  await next()
  if (JSON_TYPE.test(c.res.headers.get('content-type') ?? '')) c.header('x-content-type-options', 'nosniff')
}
