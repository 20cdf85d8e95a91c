import type { Settings } from '../config/settings'
import type { SuppressionChannel } from '../lib/vocabulary'
import { scopedAddressOf } from '../providers/opt-out'
import { normalizePhone } from '../providers/phone'
import type { Identity, MoEvent } from '../providers/types'

/** What an inbound message asks for (docs/compliance.md, "Keywords: STOP and START"). */
export type KeywordKind = 'opt_out' | 'opt_in'

export interface KeywordMatch {
  kind: KeywordKind
  /** The word as the tenant's list spells it, folded (`STOP`, `OPT OUT`). */
  keyword: string
}

/**
 * An opt-out or opt-in a message carries, planned before the claim and carried out by `act` once the
 * delivery is claimed (`opt-out.ts`).
 */
export interface KeywordAction extends KeywordMatch {
  /** The sender, E.164. */
  address: string
  channel: SuppressionChannel
  /** `opt_out_scope` `sender`: the number or sender the customer texted; '' for the whole tenant. */
  sender: string
  /** The provider's id of the message (Twilio MessageSid, SCG message id), else the delivery's key. */
  evidence: string
  /** The sender's CI360 identity, as the MO event names it; undefined when the sender is unknown. */
  identity: Identity | undefined
}

/** Trimmed, inner whitespace collapsed to one space, case-folded: "  opt\n out " → "OPT OUT". */
export const foldKeyword = (text: string): string => text.trim().replace(/\s+/g, ' ').toUpperCase()

/**
 * Whether the whole body is one of the tenant's words: a sentence that contains one ("stop sending me
 * these") is not. An opt-out word wins over an opt-in word listed in both lists.
 */
export function matchKeyword(
  body: string,
  lists: Pick<Settings, 'opt_out_keywords' | 'opt_in_keywords'>,
): KeywordMatch | undefined {
  const folded = foldKeyword(body)
  if (folded === '') return undefined
  if (lists.opt_out_keywords.some((k) => foldKeyword(k) === folded))
    return { kind: 'opt_out', keyword: folded }
  if (lists.opt_in_keywords.some((k) => foldKeyword(k) === folded)) return { kind: 'opt_in', keyword: folded }
  return undefined
}

/**
 * The match of a message: the provider's `optOutType` when present (it decides over the body; the
 * keyword is then the body when it is one of the tenant's words of that kind, else the provider's word),
 * else the body against the tenant's lists. A postback (an RCS button) is never a keyword.
 */
export function keywordOf(settings: Settings, e: MoEvent): KeywordMatch | undefined {
  if (e.optOutType) {
    const kind: KeywordKind = e.optOutType === 'STOP' ? 'opt_out' : 'opt_in'
    const byBody = matchKeyword(e.body, settings)
    return { kind, keyword: byBody?.kind === kind ? byBody.keyword : e.optOutType }
  }
  if (e.postback !== undefined) return undefined
  return matchKeyword(e.body, settings)
}

/** The number or sender id the customer texted, as `opt_out_scope` `sender` keys entries. */
function senderOf(e: MoEvent): string {
  const to = e.to?.trim()
  if (to) return normalizePhone(to) ?? to
  return e.senderId?.trim() ?? ''
}

/** The opt-out or opt-in of a message from a phone, for `tenant`'s settings; undefined when none. */
export function keywordActionOf(
  settings: Settings,
  e: MoEvent,
  identity: Identity | undefined,
): KeywordAction | undefined {
  const match = keywordOf(settings, e)
  const address = normalizePhone(e.from)
  if (!match || !address) return undefined
  return {
    ...match,
    address,
    // WhatsApp senders arrive as `whatsapp:+…` (Twilio); SMS, MMS and RCS share the `sms` opt-out.
    channel: scopedAddressOf(e.from).channel,
    sender: settings.opt_out_scope === 'sender' ? senderOf(e) : '',
    evidence: e.messageId ?? e.key,
    identity,
  }
}
