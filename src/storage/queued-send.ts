import type { ProviderId } from '../lib/vocabulary'

/**
 * One message on the `SENDS` queue (docs/pacing.md, "The queue"): the CI360 event as received, so the
 * consumer needs no read to rebuild it, and a reservation from the sender's pacer once it has one.
 */
export interface QueuedSend {
  v: 1
  tenant: string
  guid: string
  provider: ProviderId
  /** This Worker's public origin at accept time (Twilio's StatusCallback). */
  origin?: string
  /** The CI360 event exactly as received. */
  body: string
  /** A time the pacer reserved for it (ms) and that reservation's epoch. */
  slot?: { at: number; epoch: number }
  /**
   * When its `event_ttl` starts counting (ms), when not the event's own time: a message quiet hours
   * held counts from the window's end (docs/compliance.md).
   */
  deadlineFrom?: number
}

/** A queue message for one stored send; `origin` and `deadlineFrom` only when known. */
export const queuedSendOf = (m: {
  tenant: string
  guid: string
  provider: ProviderId
  body: string
  origin?: string | undefined
  deadlineFrom?: number | null | undefined
}): QueuedSend => ({
  v: 1,
  tenant: m.tenant,
  guid: m.guid,
  provider: m.provider,
  body: m.body,
  ...(m.origin ? { origin: m.origin } : {}),
  ...(m.deadlineFrom != null ? { deadlineFrom: m.deadlineFrom } : {}),
})

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null

/** A queue message's body as a `QueuedSend`, or undefined when it is not one (never sent, only logged). */
export function parseQueuedSend(v: unknown): QueuedSend | undefined {
  if (!isRecord(v) || v.v !== 1) return undefined
  const { tenant, guid, provider, body, origin, slot, deadlineFrom } = v
  if (typeof tenant !== 'string' || typeof guid !== 'string' || typeof body !== 'string') return undefined
  if (provider !== 'scg' && provider !== 'twilio') return undefined
  const out: QueuedSend = { v: 1, tenant, guid, provider, body }
  if (typeof origin === 'string') out.origin = origin
  if (typeof deadlineFrom === 'number') out.deadlineFrom = deadlineFrom
  if (isRecord(slot) && typeof slot.at === 'number' && typeof slot.epoch === 'number') {
    out.slot = { at: slot.at, epoch: slot.epoch }
  }
  return out
}
