import * as z from 'zod/mini'
import type { GenesysConfig } from '../../config/genesys'
import type { TenantConfig } from '../../config/tenant'
import { AppError } from '../../lib/app-error'
import type { FetchFn } from '../../lib/http'
import { safeJsonParse } from '../../lib/http'
import { err, ok, type Result } from '../../lib/result'
import { callUpstream, postInit } from '../../upstream/call'
import { UpstreamError } from '../../upstream/error'

type OpenMessagingConfig = NonNullable<GenesysConfig['open_messaging']>

/** What we post to Genesys Cloud: a receipt for one of its messages, or a customer's message. */
export interface GenesysCall {
  kind: 'receipt' | 'message'
  body: Record<string, unknown>
}

const TokenSchema = z.looseObject({ access_token: z.string(), expires_in: z.optional(z.number()) })

/** Tokens are renewed this long before Genesys says they expire (clock skew, slow calls). */
const EXPIRY_MARGIN_MS = 60_000

/**
 * Tokens per OAuth client, in this isolate's memory: a new isolate asks once more, which costs one
 * call, while a token in KV would be a credential at rest and KV's eventual consistency could hand out
 * one that was just replaced.
 */
const tokens = new Map<string, { token: string; expiresAt: number }>()

export interface GenesysDeps {
  fetch: FetchFn
  now: () => number
  timeoutMs: number
}

const urlOf = (c: OpenMessagingConfig, kind: GenesysCall['kind']) =>
  `${c.api_url.replace(/\/+$/, '')}/api/v2/conversations/messages/${encodeURIComponent(c.integration_id)}/inbound/open/${kind}`

async function token(c: OpenMessagingConfig, deps: GenesysDeps): Promise<Result<string, UpstreamError>> {
  const key = `${c.login_url}\u0000${c.client_id}`
  const cached = tokens.get(key)
  if (cached && cached.expiresAt > deps.now()) return ok(cached.token)
  const reply = await callUpstream(deps, {
    upstream: 'genesys',
    url: `${c.login_url.replace(/\/+$/, '')}/oauth/token`,
    init: postInit(
      `Basic ${btoa(`${c.client_id}:${c.client_secret}`)}`,
      'application/x-www-form-urlencoded',
      'grant_type=client_credentials',
    ),
    timeoutMs: deps.timeoutMs,
  })
  if (!reply.ok) return reply
  const parsed = TokenSchema.safeParse(safeJsonParse(reply.value.text))
  if (!parsed.success) {
    return err(
      new UpstreamError({
        upstream: 'genesys',
        kind: 'bad_response',
        message: 'token reply without access_token',
        retryable: true,
      }),
    )
  }
  const lifetimeMs = (parsed.data.expires_in ?? 3600) * 1000
  tokens.set(key, { token: parsed.data.access_token, expiresAt: deps.now() + lifetimeMs - EXPIRY_MARGIN_MS })
  return ok(parsed.data.access_token)
}

/**
 * Post a receipt or an inbound message to Genesys Cloud's Open Messaging API with a client-credentials
 * token (docs/protocols.md, "Genesys"); a 401 drops the cached token and tries once more with a new one.
 */
export async function postToGenesys(
  c: OpenMessagingConfig,
  call: GenesysCall,
  deps: GenesysDeps,
): Promise<Result<number, UpstreamError>> {
  for (let attempt = 0; ; attempt++) {
    const bearer = await token(c, deps)
    if (!bearer.ok) return bearer
    const reply = await callUpstream(deps, {
      upstream: 'genesys',
      url: urlOf(c, call.kind),
      init: postInit(`Bearer ${bearer.value}`, 'application/json', JSON.stringify(call.body)),
      timeoutMs: deps.timeoutMs,
    })
    if (reply.ok) return ok(reply.value.status)
    if (reply.error.status !== 401 || attempt > 0) return reply
    tokens.delete(`${c.login_url}\u0000${c.client_id}`)
  }
}

/** Post to the tenant's Genesys Cloud org with its `genesys.open_messaging` client. */
export function callGenesys(
  deps: { fetch: FetchFn; now: () => number },
  tenant: TenantConfig,
  call: GenesysCall,
): Promise<Result<number, UpstreamError>> {
  const config = tenant.secrets.genesys?.open_messaging
  if (!config) {
    throw new AppError(
      'CONFIG_INVALID',
      'This tenant is not configured for Genesys Open Messaging (genesys.open_messaging).',
    )
  }
  return postToGenesys(config, call, { ...deps, timeoutMs: tenant.settings.provider_timeout_ms })
}
