import type { TenantConfig } from '../config/tenant'
import { AppError } from '../lib/app-error'
import { type FetchFn, fetchWithTimeout, parseRetryAfter, readTextCapped } from '../lib/http'
import { err, ok, type Result } from '../lib/result'
import { ProviderError } from '../providers/errors'
import { buildCi360Jwt } from './jwt'
import { isRetryableCi360Reply } from './rate-limit'

/** A CI360 external event: flat attributes, all strings (reference/ci360.md §6). */
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
      500,
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

export interface Ci360Client {
  send(event: Ci360Event): Promise<Result<{ status: number }, ProviderError>>
}

export function createCi360Client(
  config: Ci360Config,
  deps: { fetch: FetchFn; now: () => number },
): Ci360Client {
  return {
    async send(event) {
      const started = deps.now()
      const outcome = await fetchWithTimeout(
        deps.fetch,
        config.apiUrl,
        {
          method: 'POST',
          headers: {
            authorization: `Bearer ${await config.token()}`,
            'content-type': 'application/json',
            accept: 'application/json',
          },
          body: JSON.stringify(event),
        },
        config.timeoutMs,
      )
      if (outcome.kind !== 'response') {
        return err(
          new ProviderError({
            provider: 'ci360',
            kind: outcome.kind === 'timeout' ? 'timeout' : 'unavailable',
            retryable: true,
            message: outcome.kind === 'timeout' ? `no answer within ${config.timeoutMs} ms` : 'network error',
            ...(outcome.kind === 'network' ? { cause: outcome.cause } : {}),
          }),
        )
      }
      const res = outcome.response
      const text = await readTextCapped(res, 2048)
      if (res.ok) return ok({ status: res.status })
      const retryable = isRetryableCi360Reply(res.status, res.headers, text)
      return err(
        new ProviderError({
          provider: 'ci360',
          kind: res.status === 401 ? 'auth' : retryable ? 'unavailable' : 'rejected',
          status: res.status,
          retryable,
          ...(retryable ? { retryAfterMs: parseRetryAfter(res.headers.get('retry-after'), started) } : {}),
          message: `CI360 answered ${res.status}${text ? `: ${text.replace(/\s+/g, ' ').slice(0, 200)}` : ''}`,
        }),
      )
    },
  }
}
