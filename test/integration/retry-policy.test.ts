import { describe, expect, it } from 'vitest'
import { issueToken } from '../../src/oauth/tokens'
import { appWith } from '../support/app'
import { brokenD1, brokenKv, flakyD1 } from '../support/broken'
import { FIXTURE_TENANT } from '../support/constants'
import { scgEnvelope, toXml } from '../support/event-manager'
import { cacheFixtureIdentities, globalWebhookVars, SIGNING_KEY, webhookTenant } from '../support/scg-webhook'
import { call, envWith, json } from '../support/worker'

/**
 * Syniverse Event Manager redelivers for about 91 minutes after a 5xx (and a 404 or 408), and never
 * after any other 4xx. So every answer a later attempt could turn into a success must be a 5xx, and
 * every permanent refusal a 4xx. One row per answer of the webhook routes and the token endpoint.
 */
interface Case {
  name: string
  /** `later`: a later attempt can succeed (an outage, a configuration the operator fixes). */
  kind: 'later' | 'never'
  status: number
  /** `error.code` of our JSON body, or `error` of the RFC 6749 body on the token endpoint. */
  code: string
  run: () => Promise<Response>
}

const tenantPath = `/v1/webhooks/scg/${FIXTURE_TENANT}`
const basicOf = (u: string, p: string) => `Basic ${btoa(`${u}:${p}`)}`
const jsonHeaders = (authorization: string) => ({
  authorization,
  'content-type': 'application/json; charset=UTF-8',
})

/** Deliver `body` to the tenant route of a fresh tenant, through an app built with `overrides`. */
function deliver(
  body: unknown,
  opts: {
    overrides?: Parameters<typeof appWith>[1]
    tenant?: Record<string, unknown>
    vars?: Record<string, unknown>
    auth?: (t: ReturnType<typeof webhookTenant>) => string | Promise<string>
    contentType?: string
    path?: string
  } = {},
) {
  return async () => {
    const t = webhookTenant(FIXTURE_TENANT, opts.tenant)
    const { app } = appWith(envWith([t], opts.vars), opts.overrides)
    const authorization = opts.auth ? await opts.auth(t) : basicOf(t.webhook.username, t.webhook.password)
    return app.request(`https://connector.example.com${opts.path ?? tenantPath}`, {
      method: 'POST',
      headers: {
        ...jsonHeaders(authorization),
        ...(opts.contentType ? { 'content-type': opts.contentType } : {}),
      },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    })
  }
}

const status = () => scgEnvelope('scg-status-delivered')
const bearer =
  (scope: string, key = SIGNING_KEY, typ: 'access' | 'refresh' = 'access') =>
  async (t: ReturnType<typeof webhookTenant>) =>
    `Bearer ${(await issueToken(key, { sub: t.webhook.clientId, scope, typ }, Date.now())).token}`

const WEBHOOK_CASES: Case[] = [
  {
    name: 'D1 down',
    kind: 'later',
    status: 503,
    code: 'STORAGE_UNAVAILABLE',
    run: deliver(status(), { overrides: { db: brokenD1() } }),
  },
  {
    name: 'D1 overloaded past the in-request retries',
    kind: 'later',
    status: 503,
    code: 'STORAGE_UNAVAILABLE',
    run: deliver(status(), { overrides: { db: flakyD1(3).db } }),
  },
  {
    name: 'KV down while resolving the sender of a reply',
    kind: 'later',
    status: 503,
    code: 'STORAGE_UNAVAILABLE',
    run: async () => {
      await cacheFixtureIdentities()
      return deliver(scgEnvelope('scg-mo-text'), { overrides: { kv: brokenKv() } })()
    },
  },
  {
    name: 'tenant secret does not parse',
    kind: 'later',
    status: 500,
    code: 'CONFIG_INVALID',
    run: deliver(status(), { tenant: { event_ttl: 'soon' } }),
  },
  {
    name: 'tenant without CI360 settings',
    kind: 'later',
    status: 500,
    code: 'CONFIG_INVALID',
    run: deliver(status(), { tenant: { ci360_api_url: '' } }),
  },
  {
    name: 'Bearer token while TOKEN_SIGNING_KEY is not set',
    kind: 'later',
    status: 500,
    code: 'CONFIG_INVALID',
    run: deliver(status(), { auth: bearer(`webhook:${FIXTURE_TENANT}`) }),
  },
  {
    name: 'global configuration invalid',
    kind: 'later',
    status: 500,
    code: 'CONFIG_INVALID',
    run: () =>
      call(envWith([], { event_ttl: 'an hour' }), tenantPath, { body: status(), headers: jsonHeaders('') }),
  },
  {
    name: 'no credentials',
    kind: 'never',
    status: 401,
    code: 'UNAUTHORIZED',
    run: deliver(status(), { auth: () => '' }),
  },
  {
    name: 'wrong Basic password',
    kind: 'never',
    status: 401,
    code: 'UNAUTHORIZED',
    run: deliver(status(), { auth: (t) => basicOf(t.webhook.username, 'nope') }),
  },
  {
    name: 'unknown tenant',
    kind: 'never',
    status: 401,
    code: 'UNAUTHORIZED',
    run: deliver(status(), { path: '/v1/webhooks/scg/no-such-tenant' }),
  },
  {
    name: "another tenant's token",
    kind: 'never',
    status: 401,
    code: 'UNAUTHORIZED',
    run: deliver(status(), { vars: { TOKEN_SIGNING_KEY: SIGNING_KEY }, auth: bearer('webhook:other') }),
  },
  {
    name: 'a refresh token used as a Bearer token',
    kind: 'never',
    status: 401,
    code: 'UNAUTHORIZED',
    run: deliver(status(), {
      vars: { TOKEN_SIGNING_KEY: SIGNING_KEY },
      auth: bearer(`webhook:${FIXTURE_TENANT}`, SIGNING_KEY, 'refresh'),
    }),
  },
  { name: 'body is not JSON', kind: 'never', status: 400, code: 'INVALID_JSON', run: deliver('{"topic":') },
  {
    name: 'XML with a DTD',
    kind: 'never',
    status: 400,
    code: 'INVALID_XML',
    run: deliver('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>', {
      contentType: 'application/xml',
    }),
  },
  {
    name: 'envelope without event-id',
    kind: 'never',
    status: 400,
    code: 'VALIDATION_FAILED',
    run: deliver(toXml(scgEnvelope('scg-status-delivered', (e) => delete e['event-id'])), {
      contentType: 'text/xml',
    }),
  },
  {
    name: 'body over 256 KiB',
    kind: 'never',
    status: 413,
    code: 'BODY_TOO_LARGE',
    run: deliver(`"${'x'.repeat(300_000)}"`),
  },
]

/** The token endpoint (RFC 6749 bodies): an app with a global client and one tenant client. */
function token(
  form: Record<string, string>,
  opts: {
    vars?: Record<string, unknown>
    tenant?: Record<string, unknown>
    contentType?: string
    raw?: string
  } = {},
) {
  return async () => {
    const t = webhookTenant(FIXTURE_TENANT, opts.tenant)
    const global = globalWebhookVars(opts.vars)
    const { app } = appWith(envWith([t], global.vars))
    const filled = Object.fromEntries(
      Object.entries(form).map(([k, v]) => [
        k,
        v.replace('$TENANT_CLIENT', t.webhook.clientId).replace('$TENANT_SECRET', t.webhook.clientSecret),
      ]),
    )
    return app.request('https://connector.example.com/v1/oauth/token', {
      method: 'POST',
      headers: { 'content-type': opts.contentType ?? 'application/x-www-form-urlencoded' },
      body: opts.raw ?? new URLSearchParams(filled).toString(),
    })
  }
}

const client = { client_id: '$TENANT_CLIENT', client_secret: '$TENANT_SECRET' }
const TOKEN_CASES: Case[] = [
  {
    name: 'TOKEN_SIGNING_KEY not set',
    kind: 'later',
    status: 503,
    code: 'temporarily_unavailable',
    run: token({ grant_type: 'client_credentials', ...client }, { vars: { TOKEN_SIGNING_KEY: '' } }),
  },
  {
    name: "the client's tenant secret does not parse",
    kind: 'later',
    status: 500,
    code: 'server_error',
    run: token({ grant_type: 'client_credentials', ...client }, { tenant: { event_ttl: 'soon' } }),
  },
  {
    name: 'wrong client secret',
    kind: 'never',
    status: 401,
    code: 'invalid_client',
    run: token({ grant_type: 'client_credentials', client_id: '$TENANT_CLIENT', client_secret: 'nope' }),
  },
  {
    name: 'unknown client',
    kind: 'never',
    status: 401,
    code: 'invalid_client',
    run: token({ grant_type: 'client_credentials', client_id: 'who', client_secret: 'x' }),
  },
  {
    name: 'not form-encoded',
    kind: 'never',
    status: 400,
    code: 'invalid_request',
    run: token({}, { contentType: 'application/json', raw: '{}' }),
  },
  {
    name: 'unsupported grant',
    kind: 'never',
    status: 400,
    code: 'unsupported_grant_type',
    run: token({ grant_type: 'implicit', ...client }),
  },
  {
    name: 'wrong resource-owner password',
    kind: 'never',
    status: 400,
    code: 'invalid_grant',
    run: token({ grant_type: 'password', username: 'u', password: 'p', ...client }),
  },
  {
    name: 'a tenant client asking for scope webhook:*',
    kind: 'never',
    status: 400,
    code: 'invalid_scope',
    run: token({ grant_type: 'client_credentials', scope: 'webhook:*', ...client }),
  },
  {
    name: 'request over 16 KiB',
    kind: 'never',
    status: 413,
    code: 'invalid_request',
    run: token({ grant_type: 'client_credentials', ...client, pad: 'x'.repeat(20_000) }),
  },
]

const expectClass = (c: Case, res: Response) => {
  if (c.kind === 'later') expect(res.status, `${c.name} must be a 5xx`).toBeGreaterThanOrEqual(500)
  else {
    expect(res.status, `${c.name} must be a 4xx`).toBeGreaterThanOrEqual(400)
    expect(res.status).toBeLessThan(500)
  }
  expect(res.status).toBe(c.status)
}

describe("Event Manager's retry policy: 5xx when a later attempt can succeed, 4xx when it never can", () => {
  it.each(named(WEBHOOK_CASES))('webhook: %s', async (_name, c) => {
    const res = await c.run()
    expectClass(c, res)
    expect(await json(res)).toMatchObject({ status: 'ERROR', error: { code: c.code } })
  })

  it.each(named(TOKEN_CASES))('token endpoint: %s', async (_name, c) => {
    const res = await c.run()
    expectClass(c, res)
    expect((await json(res)).error).toBe(c.code)
  })
})

function named(cases: Case[]): [string, Case][] {
  return cases.map((c) => [`${c.name} → ${c.status} (${c.kind === 'later' ? 'redelivered' : 'final'})`, c])
}
