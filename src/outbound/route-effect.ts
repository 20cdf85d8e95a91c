import type { ProviderId } from '../lib/vocabulary'
import type { RouteAttempt } from '../storage/deliveries'

/** What a routed provider adds to a receipt or an error (docs/guarantees.md, "Failover"). */
export interface RouteInfo {
  route?: { provider: ProviderId; sender: string }
  routeAttempts?: RouteAttempt[]
}

/**
 * The delivery fields of a routed send's outcome: the route that sent it (from the receipt) and the
 * calls made (from the receipt or the error); empty for a send without routes.
 */
export function routeEffect(receipt: object | undefined, error: object | undefined): RouteInfo {
  const from = (receipt ?? error ?? {}) as RouteInfo
  return {
    ...(from.route ? { route: { provider: from.route.provider, sender: from.route.sender } } : {}),
    ...(from.routeAttempts && from.routeAttempts.length > 0 ? { routeAttempts: from.routeAttempts } : {}),
  }
}
