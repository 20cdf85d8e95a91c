import type { ProviderId } from '../lib/vocabulary'

/**
 * Slow-down signals (docs/pacing.md, "Slow-down"): answers that say the sender went over its rate. The
 * message was not sent; it goes back on the queue and the sender's pace is halved.
 */

/** A send's error: Twilio 429 / 20429 (too many concurrent calls) or 21611 (the From's queue is full); SCG 429. */
export function isSlowDownError(
  provider: ProviderId,
  e: { status?: number | undefined; providerCode?: string | undefined },
) {
  if (e.status === 429) return true
  return provider === 'twilio' && (e.providerCode === '20429' || e.providerCode === '21611')
}

/** SCG reason codes of a FAILED receipt over a sender's rate: 1039 throttled, 1067 too many to one number. */
export const SCG_SLOW_DOWN_REASONS = new Set(['1039', '1067'])
/** Twilio's ErrorCode of a Messaging Service message failed because the sender's queue overflowed. */
export const TWILIO_SLOW_DOWN_CODES = new Set(['30001'])

/** A delivery receipt that says the message failed for the sender's rate (SCG 1039/1067, Twilio 30001). */
export function isSlowDownReceipt(provider: ProviderId, status: string, code: string | undefined): boolean {
  if (!code) return false
  if (provider === 'scg') return status.toUpperCase() === 'FAILED' && SCG_SLOW_DOWN_REASONS.has(code)
  return (status === 'failed' || status === 'undelivered') && TWILIO_SLOW_DOWN_CODES.has(code)
}
