import * as z from 'zod/mini'
import type { Deps } from '../deps'
import type { ProviderHealth } from '../openapi/breaker-replies'
import type { Body } from '../openapi/reply'
import { type Params, parseQuery } from './query'

/** The dashboard's per-provider table (docs/console.md, "Dashboard"). */

export const DEFAULT_WINDOW_MINUTES = 15
const WINDOW_RULE = 'must be a whole number of minutes from 1 to 1440'

const HealthParams = z.object({
  window_minutes: z.optional(
    z.pipe(
      z
        .string()
        .check(z.refine((v) => /^\d{1,4}$/.test(v) && Number(v) >= 1 && Number(v) <= 1440, WINDOW_RULE)),
      z.transform(Number),
    ),
  ),
})

/** `?window_minutes=` (1–1440, default 15). */
export const parseWindow = (params: Params): number =>
  parseQuery(HealthParams, params).window_minutes ?? DEFAULT_WINDOW_MINUTES

/** A share in percent with one decimal; null for no sends. */
const pct = (n: number, of: number) => (of === 0 ? null : Math.round((n / of) * 1000) / 10)

/** Sends created in the last `minutes`, per provider: delivered share, median receipt delay, missing receipts. */
export async function providerHealth(
  deps: Deps,
  tenantId: string,
  minutes: number,
): Promise<Body<typeof ProviderHealth>> {
  const to = deps.now()
  const from = to - minutes * 60_000
  const rows = await deps.stores.providerHealth.summary(tenantId, from, to + 1, to)
  return {
    status: 'OK',
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    window_minutes: minutes,
    items: rows.map((r) => ({
      provider: r.provider,
      sends: r.sends,
      delivered: r.delivered,
      delivered_pct: pct(r.delivered, r.sends),
      median_receipt_seconds: r.median_seconds === null ? null : Math.round(r.median_seconds * 10) / 10,
      no_receipt_after_5m: r.no_receipt,
      no_receipt_after_5m_pct: pct(r.no_receipt, r.sends),
    })),
  }
}
