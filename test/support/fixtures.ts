import mms from '../fixtures/ci360/outbound-mms.json'
import sms from '../fixtures/ci360/outbound-sms.json'
import smsOneline from '../fixtures/ci360/outbound-sms-oneline.json'
import twilio from '../fixtures/ci360/outbound-twilio.json'
import whatsapp from '../fixtures/ci360/outbound-whatsapp.json'

/** The shared CI360 fixtures (copied from the project's shared fixture set, unchanged). */
export const OUTBOUND_FIXTURES = {
  'outbound-sms': sms,
  'outbound-sms-oneline': smsOneline,
  'outbound-mms': mms,
  'outbound-whatsapp': whatsapp,
  'outbound-twilio': twilio,
} as const

export type OutboundFixtureName = keyof typeof OUTBOUND_FIXTURES

/**
 * A fixture event with the timestamp conventions of the fixtures README applied (0 → now, −N → now−N)
 * and, unless `keepGuid`, a fresh guid (D1 is shared by the tests of a file).
 */
export function outboundEvent(
  name: OutboundFixtureName,
  opts: { now?: number; keepGuid?: boolean; patch?: (e: any) => void } = {},
): any {
  const event = structuredClone(OUTBOUND_FIXTURES[name]) as any
  const now = opts.now ?? Date.now()
  const ts = event.date.generatedTimestamp as number
  event.date.generatedTimestamp = ts <= 0 ? now + ts : ts
  event.properties.event_datetime_utc = String(event.date.generatedTimestamp)
  for (const p of event.trace?.tracePoints ?? []) p.tracePointTimestamp = now
  if (!opts.keepGuid) event.guid = crypto.randomUUID()
  opts.patch?.(event)
  return event
}
