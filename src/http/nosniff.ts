import type { MiddlewareHandler } from 'hono'

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\b/i

/**
 * `X-Content-Type-Options: nosniff` on every JSON reply, errors included, so a browser never reads a
 * reply as another type than the one declared (<https://fetch.spec.whatwg.org/#x-content-type-options-header>).
 * Set after the handler, on the reply `onError` or `notFound` produced as well.
 */
export const nosniff: MiddlewareHandler = async (c, next) => {
  await next()
  if (JSON_TYPE.test(c.res.headers.get('content-type') ?? '')) c.header('x-content-type-options', 'nosniff')
}
