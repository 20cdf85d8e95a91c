import type { StatusOrder } from '../providers/types'

/**
 * True when `incoming` arrives after a final status (`current`) that it precedes: Twilio's `sent` after
 * `delivered`, SCG's `SENT` after `DELIVERED`. Providers do not report in order, so such a status is
 * history only: it neither replaces the recorded status nor reaches CI360 (docs/guarantees.md).
 */
export function isLateStatus(
  order: StatusOrder | undefined,
  current: string | null,
  incoming: string,
): boolean {
  if (!order || current === null) return false
  const was = order.rank[current]
  const now = order.rank[incoming]
  if (was === undefined || now === undefined) return false
  return was >= order.finalFrom && now < was
}
