import * as z from 'zod/mini'
import type { BreakerStatus, Forced } from '../breaker/state'
import { breakerName } from '../breaker/state'
import type { TenantConfig } from '../config/tenant'
import type { Deps } from '../deps'
import { AppError } from '../lib/app-error'
import { describeError } from '../lib/log'
import { validationError } from '../lib/validation'
import { PROVIDER_IDS, type ProviderId } from '../lib/vocabulary'
import type { BreakerItem, BreakerList } from '../openapi/breaker-replies'
import type { Body } from '../openapi/reply'

/** The breakers view of the console (docs/console.md, "Routes and breakers"). */

const iso = (ms: number) => new Date(ms).toISOString()

/** The providers the tenant's `routes` name, in the vocabulary's order; none without routes. */
export function routedProviders(tenant: TenantConfig): ProviderId[] {
  const named = new Set(
    Object.values(tenant.settings.routes ?? {}).flatMap((routes) => (routes ?? []).map((r) => r.provider)),
  )
  return PROVIDER_IDS.filter((p) => named.has(p))
}

export const breakerItem = (provider: ProviderId, s: BreakerStatus): Body<typeof BreakerItem> => ({
  provider,
  state: s.state,
  forced: s.forced,
  faults: s.faults,
  opened_at: s.openedAt === null ? null : iso(s.openedAt),
  reason: s.reason,
  changed_at: iso(s.changedAt),
  history: s.history.map((h) => ({ at: iso(h.at), from: h.from, to: h.to, reason: h.reason })),
})

const stubOf = (deps: Deps, tenant: TenantConfig, provider: ProviderId) => {
  const ns = deps.breakers
  return ns ? ns.get(ns.idFromName(breakerName(tenant.id, provider))) : undefined
}

/**
 * Each breaker of the tenant's routed providers (one Durable Object call each, in parallel). A breaker
 * that does not answer (or no binding) is left out and the list says `breaker_unavailable`.
 */
export async function listBreakers(deps: Deps, tenant: TenantConfig): Promise<Body<typeof BreakerList>> {
  const now = deps.now()
  let unavailable = false
  const items = await Promise.all(
    routedProviders(tenant).map(async (provider) => {
      try {
        const stub = stubOf(deps, tenant, provider)
        if (stub) return breakerItem(provider, await stub.status(now))
      } catch (e) {
        deps.log.warn('breaker status failed', { provider, ...describeError(e) })
      }
      unavailable = true
      return null
    }),
  )
  return { status: 'OK', items: items.filter((i) => i !== null), breaker_unavailable: unavailable }
}

export const ForceBodySchema = z.object({
  force: z.nullable(z.enum(['open', 'closed'], 'must be "open", "closed" or null')),
})

/** The provider of the path: one the tenant's routes name, else VALIDATION_FAILED. */
export function routedProvider(tenant: TenantConfig, provider: string): ProviderId {
  const p = routedProviders(tenant).find((x) => x === provider)
  if (!p)
    throw new AppError('VALIDATION_FAILED', "The provider must be one the tenant's routes name.", {
      details: { fields: ['provider'] },
    })
  return p
}

/** `{"force": "open"|"closed"|null}`, else VALIDATION_FAILED. */
export function parseForce(body: unknown): Forced {
  const parsed = ForceBodySchema.safeParse(body)
  if (!parsed.success) throw validationError(parsed.error)
  return parsed.data.force
}

/**
 * Hold (or release) one breaker for the operator `actor`; the change is logged once, by the call that
 * made it. Returns the breaker as it is now.
 */
export async function forceBreaker(
  deps: Deps,
  tenant: TenantConfig,
  provider: ProviderId,
  forced: Forced,
  actor: string,
): Promise<Body<typeof BreakerItem>> {
  const stub = stubOf(deps, tenant, provider)
  if (!stub) throw new AppError('STORAGE_UNAVAILABLE', 'The breakers are not available.')
  const now = deps.now()
  const view = await stub.force(forced, actor, now)
  if (view.changed) deps.log.warn('breaker forced', { tenant: tenant.id, provider, forced, actor })
  return breakerItem(provider, await stub.status(now))
}
