import { Hono } from 'hono/tiny'
import * as z from 'zod/mini'
import type { AppEnv } from '../http/app-env'
import { reply, schema } from '../http/reply'
import { isAppError } from '../lib/app-error'
import { readBodyText } from '../lib/http'
import { describeError } from '../lib/log'
import { OAuthError } from '../oauth/errors'
import { handleTokenRequest } from '../oauth/token-endpoint'
import type { Operation } from '../openapi/operation'
import * as R from '../openapi/replies'

/** Token requests are a few hundred bytes; anything near this is not one. */
const MAX_TOKEN_REQUEST_BYTES = 16 * 1024

const NO_STORE = { 'Cache-Control': 'no-store', Pragma: 'no-cache' }

/** `POST /v1/oauth/token`: RFC 6749 replies, never the JSON error body of other routes. */
export const oauthRoutes = new Hono<AppEnv>()

oauthRoutes.post('/v1/oauth/token', async (c) => {
  const log = c.get('log')
  try {
    const body = await readBodyText(c.req.raw, MAX_TOKEN_REQUEST_BYTES).catch((e: unknown) => {
      if (isAppError(e) && e.code === 'BODY_TOO_LARGE') {
        throw new OAuthError(413, 'invalid_request', 'The token request is too large.')
      }
      throw e
    })
    const token = await handleTokenRequest(c.get('deps'), {
      contentType: c.req.header('content-type'),
      authorization: c.req.header('authorization'),
      body,
      query: new URL(c.req.url).searchParams,
    })
    return reply(c, 200, schema<typeof R.TokenReply>(), token, NO_STORE)
  } catch (e) {
    if (!(e instanceof OAuthError)) {
      // A broken tenant secret (CONFIG_INVALID) or anything unexpected: logged, answered the RFC way.
      log.error('oauth token request failed', describeError(isAppError(e) ? (e.cause ?? e) : e))
      return reply(
        c,
        500,
        schema<typeof R.OAuthErrorReply>(),
        { error: 'server_error', error_description: 'The token could not be issued; see the operator log.' },
        NO_STORE,
      )
    }
    log.warn('oauth token refused', { error: e.error, status: e.status })
    const headers =
      e.status === 401
        ? { ...NO_STORE, 'WWW-Authenticate': 'Basic realm="oauth", charset="UTF-8"' }
        : NO_STORE
    return reply(
      c,
      e.status,
      schema<typeof R.OAuthErrorReply>(),
      { error: e.error, error_description: e.description },
      headers,
    )
  }
})

/** The token endpoint. */
export const oauthOperations: Operation[] = [
  {
    method: 'post',
    path: '/v1/oauth/token',
    summary: 'OAuth 2.0 token endpoint for Event Manager (client_credentials, password, refresh_token)',
    tag: 'Webhooks',
    security: 'oauthClient',
    body: [
      {
        type: 'application/x-www-form-urlencoded',
        schema: z.object({
          grant_type: z.enum(['client_credentials', 'password', 'refresh_token']),
          client_id: z.optional(z.string()),
          client_secret: z.optional(z.string()),
          username: z.optional(z.string()),
          password: z.optional(z.string()),
          refresh_token: z.optional(z.string()),
          scope: z.optional(z.string()),
          tenant: z.optional(z.string()),
        }),
      },
    ],
    responses: {
      '200': { description: 'Token issued', schema: R.TokenReply },
      '400': {
        description: 'invalid_request, invalid_grant, unsupported_grant_type, invalid_scope',
        schema: R.OAuthErrorReply,
      },
      '401': { description: 'invalid_client', schema: R.OAuthErrorReply },
      '503': {
        description: 'temporarily_unavailable (TOKEN_SIGNING_KEY not set)',
        schema: R.OAuthErrorReply,
      },
    },
  },
]
