import type { Channel } from '../ci360/creative'
import type { ProviderId, SuppressionChannel } from '../lib/vocabulary'

/**
 * The providers' answers that mean "this person opted out" (docs/compliance.md, "Suppression on every
 * send"): Twilio 21610 (a 400 on create, or `ErrorCode` in a status callback) and SCG reason 1005 (a
 * FAILED receipt). Final: never retried, never sent through another provider.
 */
const OPT_OUT_CODES: Readonly<Record<ProviderId, readonly string[]>> = {
  twilio: ['21610'],
  scg: ['1005'],
}

/** Whether a provider's error or reason code says the recipient opted out. */
export const isOptOutCode = (provider: ProviderId, code: string | null | undefined): boolean =>
  code !== null && code !== undefined && OPT_OUT_CODES[provider].includes(code.trim())

/** The reason a suppressed or opted-out message carries (CI360's reply and event, Genesys's receipt). */
export const OPTED_OUT = 'OPTED_OUT'

/**
 * The opt-out list's channel scope of a message's channel: SMS, MMS and RCS share one opt-out (as
 * Twilio does since March 2026), WhatsApp has its own. The other channels (WeChat, Facebook) are not
 * addressed by a phone number at a messaging provider of ours; a number sent there is held to its SMS
 * opt-out, the stricter reading.
 */
export const suppressionChannelOf = (channel: Channel | undefined): SuppressionChannel =>
  channel === 'WHATSAPP' ? 'whatsapp' : 'sms'

/** A provider's recipient address as the list keys it, with its channel scope (`whatsapp:` prefix). */
export function scopedAddressOf(raw: string): { address: string; channel: SuppressionChannel } {
  const whatsapp = /^whatsapp:/i.test(raw.trim())
  return { address: raw.trim().replace(/^whatsapp:/i, ''), channel: whatsapp ? 'whatsapp' : 'sms' }
}
