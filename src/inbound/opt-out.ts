import type { Ci360Event } from '../ci360/client'
import type { TenantConfig } from '../config/tenant'
import type { RequestContext } from '../deps'
import { LIFTABLE_SUPPRESSION_SOURCES } from '../lib/vocabulary'
import type { ProviderId } from '../providers/types'
import { recipientKeyOf } from '../storage/recipient-key'
import { type InjectResult, injectOrQueue } from './inject'
import type { KeywordAction } from './keywords'

/** Who the audit names for a change made by a customer's keyword. */
const ACTOR = 'keyword'

/**
 * Carry out a customer's opt-out or opt-in once its delivery is claimed (docs/compliance.md, "Keywords:
 * STOP and START"), before the webhook is answered: add the sender's `keyword` entry, or lift its
 * `keyword` and `provider` entries (never an operator's or an import's). Then inject `opt_out_event`
 * (every opt-out message) or `opt_in_event` (an opt-in that lifted an entry) when the tenant names one
 * and the sender's identity is known, with the responseTrackingCode of the last message sent to the
 * number. The claim makes a redelivery do none of it again. Throws `StorageError` when D1 fails (the
 * claim is then released and the provider redelivers).
 */
export async function applyKeyword(
  ctx: RequestContext,
  tenant: TenantConfig,
  provider: ProviderId,
  key: string,
  k: KeywordAction,
): Promise<InjectResult | undefined> {
  const now = ctx.now()
  const { suppressions } = ctx.stores
  const scope = { address: k.address, channel: k.channel, sender: k.sender }
  let changed: boolean
  if (k.kind === 'opt_out') {
    changed = await suppressions.add(
      tenant.id,
      { ...scope, source: 'keyword', keyword: k.keyword, evidence: k.evidence },
      ACTOR,
      now,
    )
  } else {
    const lifted = await suppressions.remove(tenant.id, k.address, ACTOR, now, {
      channel: k.channel,
      sources: LIFTABLE_SUPPRESSION_SOURCES,
      ...(k.sender ? { senders: ['', k.sender] } : {}),
    })
    changed = lifted.length > 0
  }
  ctx.log.info(k.kind === 'opt_out' ? 'opt-out keyword' : 'opt-in keyword', {
    keyword: k.keyword,
    channel: k.channel,
    scope: k.sender ? 'sender' : 'tenant',
    changed,
  })

  const settings = tenant.settings
  const eventName =
    k.kind === 'opt_out' ? settings.opt_out_event : changed ? settings.opt_in_event : undefined
  if (!eventName || !k.identity) return undefined
  const rtc = await ctx.stores.deliveries.lastToRecipient(
    tenant.id,
    await recipientKeyOf(ctx.config.secrets.tokenSigningKey, tenant.id, k.address),
  )
  const event: Ci360Event = {
    eventName,
    ...k.identity,
    channel: k.channel,
    keyword: k.keyword,
    provider,
    ...(rtc ? { responseTrackingCode: rtc } : {}),
  }
  const prefix = k.kind === 'opt_out' ? 'optout' : 'optin'
  return injectOrQueue(ctx, tenant, `${prefix}:${provider}:${key}`, event)
}
