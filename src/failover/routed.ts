import type { ProviderBreaker } from '../breaker/provider-breaker'
import type { Route, Routes } from '../config/routes'
import type { TenantConfig } from '../config/tenant'
import type { Logger } from '../lib/log'
import { err, ok, type Result } from '../lib/result'
import type { Channel, ProviderId } from '../lib/vocabulary'
import {
  type FoundMessage,
  LOOKUP_CLOCK_MARGIN_MS,
  type MessageProvider,
  type OutboundInput,
  type OutboundMessage,
  type SendReceipt,
} from '../providers/types'
import type { RouteAttempt } from '../storage/deliveries'
import { UpstreamError } from '../upstream/error'
import { type Breakers, createBreakers } from './breakers'
import { classify } from './outcomes'

export type { RouteAttempt }

/** What a routed send answers beyond the provider's receipt: who sent it, and every attempt. */
export interface RoutedReceipt extends SendReceipt {
  route?: Route
  routeAttempts?: RouteAttempt[]
}

/** A routed send's error keeps its attempts (the delivery records them either way). */
export type RoutedError = UpstreamError & { routeAttempts?: RouteAttempt[] }

interface Leg {
  route: Route
  provider: MessageProvider
  message: OutboundMessage
  /** False for the creative's own provider when the channel has no routes (no breaker, as without failover). */
  guarded: boolean
}

const iso = (ms: number) => new Date(ms).toISOString()

/** The routes of a creative's channel (`SMS` when it names none); undefined when the tenant lists none for it. */
export const routesFor = (routes: Routes, channel: Channel | undefined): Route[] | undefined =>
  routes[channel ?? 'SMS']

export interface RoutedContext {
  providerOf(id: ProviderId): MessageProvider
  breakers: Breakers
  now(): number
  log: Logger
}

/**
 * The tenant's routes as one provider (docs/guarantees.md, "Failover"): `prepare` builds the message
 * for every route (each route's sender replaces the creative's FROM); `send` tries them in order. A
 * route whose breaker is open is skipped; an outcome the table (`outcomes.ts`) calls `fail_over`
 * moves to the next route at once, `look_up` asks the provider first and moves on only when it has
 * no such message, `final` stops. Its `id` is the first route's provider.
 */
export function createRoutedProvider(
  ctx: RoutedContext,
  tenant: TenantConfig,
  routes: Routes,
  fallback: ProviderId,
): MessageProvider {
  const first = Object.values(routes)[0]?.[0]?.provider ?? fallback
  return {
    id: first,
    prepare(input: OutboundInput) {
      const listed = routesFor(routes, input.channel)
      const legs: Leg[] = []
      const plan: { route: Route; guarded: boolean }[] = listed
        ? listed.map((route) => ({ route, guarded: true }))
        : [{ route: { provider: fallback, sender: input.from ?? '' }, guarded: false }]
      for (const { route, guarded } of plan) {
        const provider = ctx.providerOf(route.provider)
        const built = provider.prepare(guarded ? { ...input, from: route.sender } : input)
        if (!built.ok) return built
        legs.push({ route, provider, message: built.value, guarded })
      }
      const lead = legs[0]?.message as OutboundMessage
      return ok({ ...lead, payload: { legs } })
    },

    async send(message: OutboundMessage): Promise<Result<RoutedReceipt, UpstreamError>> {
      const { legs } = message.payload as { legs: Leg[] }
      const attempts: RouteAttempt[] = []
      let last: UpstreamError | undefined
      for (const leg of legs) {
        const { route } = leg
        const note = (outcome: string) =>
          attempts.push({ provider: route.provider, sender: route.sender, outcome, at: iso(ctx.now()) })
        if (leg.guarded && !(await ctx.breakers.allow(tenant, route.provider))) {
          note('skipped: breaker open')
          continue
        }
        const result = await leg.provider.send(leg.message)
        if (result.ok) {
          if (leg.guarded) await ctx.breakers.record(tenant, route.provider, 'success')
          note('sent')
          return ok({ ...result.value, route, routeAttempts: attempts })
        }
        const error = result.error
        const row = classify(route.provider, error)
        if (leg.guarded) await ctx.breakers.record(tenant, route.provider, row.fault ? 'fault' : 'success')
        if (row.alert)
          ctx.log.error('provider refused our credentials, credit or sender', {
            provider: route.provider,
            http_status: error.status,
            provider_code: error.providerCode,
          })
        note(`${row.verdict}: ${error.summary()}`.slice(0, 300))
        if (row.verdict === 'final') return err(withAttempts(error, attempts))
        if (row.verdict === 'look_up') {
          // It may have been accepted: only a look-up that finds nothing lets the next route send it.
          const found = leg.provider.find
            ? await leg.provider.find(leg.message, ctx.now() - LOOKUP_CLOCK_MARGIN_MS)
            : undefined
          if (found?.ok && found.value) {
            note('found')
            return ok({ messageId: found.value.messageId, route, routeAttempts: attempts })
          }
          if (!found?.ok) return err(withAttempts(unknownOutcome(error), attempts))
          note('not found')
        }
        last = error
      }
      return err(withAttempts(last ?? noRoute(first), attempts))
    },

    async find(message: OutboundMessage, since: number): Promise<Result<FoundMessage | null, UpstreamError>> {
      const { legs } = message.payload as { legs: Leg[] }
      for (const leg of legs) {
        if (!leg.provider.find) continue
        const found = await leg.provider.find(leg.message, since)
        if (!found.ok) return found
        if (found.value) return ok({ ...found.value, route: leg.route } as FoundMessage)
      }
      return ok(null)
    },
  }
}

const withAttempts = (e: UpstreamError, attempts: RouteAttempt[]): RoutedError =>
  Object.assign(e, { routeAttempts: attempts })

/** A send that may have been accepted and a look-up that could not tell: the cron looks again. */
const unknownOutcome = (e: UpstreamError) =>
  new UpstreamError({
    upstream: e.upstream,
    kind: e.kind,
    ...(e.status !== undefined ? { status: e.status } : {}),
    ...(e.providerCode ? { providerCode: e.providerCode } : {}),
    retryable: true,
    ambiguous: true,
    message: `${e.message}; the look-up failed, so the outcome is unknown`.slice(0, 400),
  })

/** Every route's breaker was open: nothing was sent, so the cron may try again later. */
const noRoute = (provider: ProviderId) =>
  new UpstreamError({
    upstream: provider,
    kind: 'unavailable',
    retryable: true,
    ambiguous: false,
    message: 'every route is closed by its breaker: not sent',
  })

const routedProviders = new WeakMap<TenantConfig, Map<string, MessageProvider>>()

/**
 * The routed provider of a tenant with `routes` (built once per tenant configuration, origin and
 * creative provider): the CI360 routes' provider whichever outbound route the event came in on.
 */
export function routedProvider(
  deps: {
    provider(id: ProviderId, tenant: TenantConfig, origin: string | undefined): MessageProvider
    breakers?: DurableObjectNamespace<ProviderBreaker> | undefined
    now(): number
    log: Logger
  },
  fallback: ProviderId,
  tenant: TenantConfig,
  routes: Routes,
  origin: string | undefined,
): MessageProvider {
  const byKey = routedProviders.get(tenant) ?? new Map<string, MessageProvider>()
  routedProviders.set(tenant, byKey)
  const key = `${fallback}\u0000${origin ?? ''}`
  let p = byKey.get(key)
  if (!p) {
    p = createRoutedProvider(
      {
        providerOf: (id) => deps.provider(id, tenant, origin),
        breakers: createBreakers(deps.breakers, deps.now, deps.log),
        now: deps.now,
        log: deps.log,
      },
      tenant,
      routes,
      fallback,
    )
    byKey.set(key, p)
  }
  return p
}
