import * as z from 'zod/mini'
import type { GenesysConfig } from '../../config/genesys'
import type { TenantConfig } from '../../config/tenant'
import { AppError } from '../../lib/app-error'
import type { FetchFn } from '../../lib/http'
import { safeJsonParse } from '../../lib/http'
import { err, ok, type Result } from '../../lib/result'
import { callUpstream, postInit } from '../../upstream/call'
import { UpstreamError } from '../../upstream/error'
import { type MulticloudChannel, multicloudSignature, nexusUrlOf } from './multicloud'

type OpenMessagingConfig = NonNullable<GenesysConfig['open_messaging']>

/**
 * What we post to Genesys: a receipt for one of its messages, or a customer's message, as a normalized
 * message (docs/protocols.md, "Genesys"). `channel` picks the transport: none is Open Messaging, a
 * Multicloud channel id is that channel. Stored as is when the call fails, so a retry goes the same way.
 */
export interface GenesysCall {
  kind: 'receipt' | 'message'
  body: Record<string, unknown>
  channel?: string
}

export interface GenesysDeps {
  fetch: FetchFn
  now: () => number
  timeoutMs: number
}

/** Posts one call to Genesys over one product's API; answers Genesys's HTTP status. */
export type GenesysTransport = (
  call: GenesysCall,
  deps: GenesysDeps,
) => Promise<Result<number, UpstreamError>>

const TokenSchema = z.looseObject({ access_token: z.string(), expires_in: z.optional(z.number()) })

/** Tokens are renewed this long before Genesys says they expire (clock skew, slow calls). */
const EXPIRY_MARGIN_MS = 60_000

/**
 * Tokens per OAuth client, in this isolate's memory: a new isolate asks once more, which costs one
 * call, while a token in KV would be a credential at rest and KV's eventual consistency could hand out
 * one that was just replaced.
 */
const tokens = new Map<string, { token: string; expiresAt: number }>()

const trim = (url: string) => url.replace(/\/+$/, '')

async function token(
  c: OpenMessagingConfig,
  deps: GenesysDeps,
  key: string,
): Promise<Result<string, UpstreamError>> {
  const cached = tokens.get(key)
  if (cached && cached.expiresAt > deps.now()) return ok(cached.token)
  const reply = await callUpstream(deps, {
    upstream: 'genesys',
    url: `${trim(c.login_url)}/oauth/token`,
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
        message: 'no access_token',
        retryable: true,
      }),
    )
  }
  const { access_token, expires_in = 3600 } = parsed.data
  tokens.set(key, { token: access_token, expiresAt: deps.now() + expires_in * 1000 - EXPIRY_MARGIN_MS })
  return ok(access_token)
}

/**
 * Genesys Cloud Open Messaging: POST `…/inbound/open/{receipt|message}` with a client-credentials
 * token; a 401 drops the cached token and tries once more with a new one.
 */
const openMessaging =
  (c: OpenMessagingConfig): GenesysTransport =>
  async (call, deps) => {
    const key = `${c.login_url}\u0000${c.client_id}`
    for (let attempt = 0; ; attempt++) {
      const bearer = await token(c, deps, key)
      if (!bearer.ok) return bearer
      const reply = await callUpstream(deps, {
        upstream: 'genesys',
        url: `${trim(c.api_url)}/api/v2/conversations/messages/${encodeURIComponent(c.integration_id)}/inbound/open/${call.kind}`,
        init: postInit(`Bearer ${bearer.value}`, 'application/json', JSON.stringify(call.body)),
        timeoutMs: deps.timeoutMs,
      })
      if (reply.ok) return ok(reply.value.status)
      if (reply.error.status !== 401 || attempt > 0) return reply
      tokens.delete(key)
    }
  }

/**
 * Genesys Multicloud, one channel: POST `{"messages":[body]}` to the channel's Nexus path, signed with
 * its API secret and naming the contact centre in `x-ccid` (docs/protocols.md, "Genesys Multicloud").
 */
const multicloud =
  (m: NonNullable<GenesysConfig['multicloud']>, ch: MulticloudChannel): GenesysTransport =>
  async (call, deps) => {
    const body = JSON.stringify({ messages: [call.body] })
    const reply = await callUpstream(deps, {
      upstream: 'genesys',
      url: nexusUrlOf(m, ch.channel_id),
      init: {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          'x-ccid': m.ccid,
          'x-hub-signature': await multicloudSignature(ch.api_secret, body),
        },
        body,
      },
      timeoutMs: deps.timeoutMs,
    })
    return reply.ok ? ok(reply.value.status) : reply
  }

/** The transport for calls on `channel` (none: Open Messaging), or undefined when the tenant has none. */
export function transportOf(tenant: TenantConfig, channel?: string | null): GenesysTransport | undefined {
  const g = tenant.secrets.genesys
  if (channel == null) return g?.open_messaging && openMessaging(g.open_messaging)
  const ch = g?.multicloud?.channels.find((c) => c.channel_id === channel)
  return g?.multicloud && ch && multicloud(g.multicloud, ch)
}

/** Post one call to the tenant's Genesys over the transport its `channel` names. */
export function callGenesys(
  deps: { fetch: FetchFn; now: () => number },
  tenant: TenantConfig,
  call: GenesysCall,
): Promise<Result<number, UpstreamError>> {
  const post = transportOf(tenant, call.channel)
  if (!post) throw new AppError('CONFIG_INVALID', 'Genesys is not configured for this tenant.')
  return post(call, { ...deps, timeoutMs: tenant.settings.provider_timeout_ms })
}
