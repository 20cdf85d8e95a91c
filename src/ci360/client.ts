import type { TenantConfig } from '../config/tenant'
import { AppError } from '../lib/app-error'
import type { FetchFn } from '../lib/http'
import { ok, type Result } from '../lib/result'
import { callUpstream, postInit } from '../upstream/call'
import type { UpstreamError } from '../upstream/error'
import { buildCi360Jwt } from './jwt'
import { isRetryableCi360Reply } from './rate-limit'

/** A CI360 external event: flat attributes, all strings (docs/protocols.md, "CI360"). */
export interface Ci360Event {
  eventName: string
  [attribute: string]: string
}

/**
 * The attribute every event we inject carries: the same value on every attempt, retry and replay of one
 * event, so a CI360 rule or a downstream table can drop a second copy (docs/guarantees.md, "A stable id
 * on every CI360 event").
 */
export const CONNECTOR_EVENT_ID = 'connector_event_id'

/**
 * The event with its `connector_event_id`: the event's key (the webhook's `<provider>:<key>`, a bulk
 * job's `bulk:<job id>`, the `guid` of its stored failed request). An id already on it is kept.
 */
export const withConnectorEventId = (event: Ci360Event, key: string): Ci360Event => ({
  ...event,
  [CONNECTOR_EVENT_ID]: event[CONNECTOR_EVENT_ID] ?? key,
})

export interface Ci360Config {
  apiUrl: string
  /** `ci360_token` as given, or the static JWT built from `ci360_client_secret`. */
  token: () => Promise<string>
  timeoutMs: number
  /**
   * The attribute name `connector_event_id` is sent under (`ci360_event_id_attribute`); empty: not sent,
   * for a CI360 that refuses attributes its event does not define (docs/guarantees.md).
   */
  eventIdAttribute: string
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
    eventIdAttribute: settings.ci360_event_id_attribute,
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
  send(event: Ci360Event): Promise<Result<{ status: number }, UpstreamError>>
}

export function createCi360Client(
  config: Ci360Config,
  deps: { fetch: FetchFn; now: () => number },
): Ci360Client {
  return {
    async send(event) {
      const body = onTheWire(event, config.eventIdAttribute)
      const reply = await callUpstream(deps, {
        upstream: 'ci360',
        url: config.apiUrl,
        init: postInit(`Bearer ${await config.token()}`, 'application/json', JSON.stringify(body)),
        timeoutMs: config.timeoutMs,
        bodyLimit: 2048,
        readError: ({ status, text, headers }) => ({
          description: text.replace(/\s+/g, ' '),
          retryable: isRetryableCi360Reply(status, headers, text),
        }),
      })
      return reply.ok ? ok({ status: reply.value.status }) : reply
    },
  }
}

/** The event as CI360 gets it: `connector_event_id` under the tenant's attribute name, or left out. */
function onTheWire(event: Ci360Event, attribute: string): Ci360Event {
  const id = event[CONNECTOR_EVENT_ID]
  if (id === undefined || attribute === CONNECTOR_EVENT_ID) return event
  const { [CONNECTOR_EVENT_ID]: _, ...rest } = event
  return attribute ? { ...rest, [attribute]: id } : rest
}
