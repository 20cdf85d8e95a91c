import type { ProviderHealthRow } from './provider-health'
import type { Stats } from './stats'

/** How the readers across databases merge their answers (docs/scaling.md, "Cron and console per shard"). */

export const byDescending =
  <T>(...keys: ((r: T) => string | number)[]) =>
  (a: T, b: T): number => {
    for (const key of keys) {
      const x = key(a)
      const y = key(b)
      if (x !== y) return x < y ? 1 : -1
    }
    return 0
  }

/** Per provider: counts added up, medians weighted by each database's receipts. */
export function mergeHealth(pages: ProviderHealthRow[][]): ProviderHealthRow[] {
  const by = new Map<string, { row: ProviderHealthRow; medians: { m: number; w: number }[] }>()
  for (const page of pages) {
    for (const r of page) {
      const seen = by.get(r.provider) ?? {
        row: { ...r, sends: 0, delivered: 0, no_receipt: 0, median_seconds: null },
        medians: [],
      }
      seen.row.sends += r.sends
      seen.row.delivered += r.delivered
      seen.row.no_receipt += r.no_receipt
      if (r.median_seconds !== null) seen.medians.push({ m: r.median_seconds, w: Math.max(1, r.delivered) })
      by.set(r.provider, seen)
    }
  }
  return [...by.values()].map(({ row, medians }) => {
    medians.sort((a, b) => a.m - b.m)
    const half = medians.reduce((n, x) => n + x.w, 0) / 2
    let acc = 0
    let mid: number | null = null
    for (const x of medians) {
      acc += x.w
      if (acc >= half) {
        mid = x.m
        break
      }
    }
    return { ...row, median_seconds: mid }
  })
}

/** The row with the latest `created_at` among the databases' answers, or null. */
export function newest<T extends { created_at: number }>(rows: (T | null)[]): T | null {
  let best: T | null = null
  for (const r of rows) if (r && (!best || r.created_at > best.created_at)) best = r
  return best
}

/** The dashboard counts of every database added up (the buckets are the same on each). */
export function sumStats(all: Stats[]): Stats {
  const [first, ...rest] = all
  if (!first) return { buckets: [], pending: { failed_requests: 0, uncertain: 0 } }
  for (const s of rest) {
    s.buckets.forEach((b, i) => {
      const into = first.buckets[i]
      if (!into) return
      for (const field of ['deliveries', 'provider_statuses', 'events'] as const) {
        for (const [k, n] of Object.entries(b[field])) into[field][k] = (into[field][k] ?? 0) + n
      }
    })
    first.pending.failed_requests += s.pending.failed_requests
    first.pending.uncertain += s.pending.uncertain
  }
  return first
}
