import type { TenantConfig } from '../config/tenant'
import { AppError } from '../lib/app-error'
import type { FetchFn } from '../lib/http'
import { ok, type Result } from '../lib/result'
import { callUpstream, postInit } from '../upstream/call'
import type { UpstreamError } from '../upstream/error'
import { buildCi360Jwt } from './jwt'

/** A CI360 external event: flat attributes, all strings (docs/protocols.md, "CI360"). */
export interface Ci360Event {
  eventName: string
  [attribute: string]: string
}

export interface Ci360Config {
  apiUrl: string
  /** `ci360_token` as given, or the static JWT built from `ci360_client_secret`. */
  token: () => Promise<string>
  timeoutMs: number
}

const jwtCache = new Map<string, Promise<string>>()

/** The tenant's CI360 events endpoint and credentials; `CONFIG_INVALID` names what is missing. */
export function ci360ConfigOf(tenant: TenantConfig): Ci360Config {
  const { secrets, settings } = tenant
  const apiUrl = secrets.ci360_api_url
  if (!apiUrl || (!secrets.ci360_token && !secrets.ci360_client_secret)) {
    throw new AppError(
      'CONFIG_INVALID',
      'This tenant is not configured for CI360 events (ci360_api_url and ci360_token or ci360_client_secret).',
    )
  }
  const staticToken = secrets.ci360_token
  const secret = secrets.ci360_client_secret ?? ''
  return {
    apiUrl,
    timeoutMs: settings.provider_timeout_ms,
    token: () => {
      if (staticToken) return Promise.resolve(staticToken)
      const cacheKey = `${tenant.id}\u0000${secret}`
      let jwt = jwtCache.get(cacheKey)
      if (!jwt) {
        jwt = buildCi360Jwt(tenant.id, secret)
        jwtCache.set(cacheKey, jwt)
      }
      return jwt
    },
  }
}

/**
 * Whether a failed injection is worth retrying: timeouts, network errors, 408, 429, 5xx, and 403 (the
 * gateway's answer past its per-IP rate limit). 400, 401 and other 4xx are permanent.
 */
export const isRetryableCi360Status = (status: number) =>
  status === 403 || status === 408 || status === 429 || status >= 500

export interface Ci360Client {
  send(event: Ci360Event): Promise<Result<{ status: number }, UpstreamError>>
}

export function createCi360Client(
  config: Ci360Config,
  deps: { fetch: FetchFn; now: () => number },
): Ci360Client {
  return {
    async send(event) {
      const reply = await callUpstream(deps, {
        upstream: 'ci360',
        url: config.apiUrl,
        init: postInit(`Bearer ${await config.token()}`, 'application/json', JSON.stringify(event)),
        timeoutMs: config.timeoutMs,
        bodyLimit: 2048,
        readError: ({ status, text }) => ({
          description: text.replace(/\s+/g, ' '),
          retryable: isRetryableCi360Status(status),
        }),
      })
      return reply.ok ? ok({ status: reply.value.status }) : reply
    },
  }
}
