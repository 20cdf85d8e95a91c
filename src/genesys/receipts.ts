import type { TenantConfig } from '../config/tenant'
import { type Deps, withShard } from '../deps'
import { describeError } from '../lib/log'
import { type GenesysCall, transportOf } from '../providers/genesys/client'
import { genesysGuid, isGenesysGuid } from '../providers/genesys/open-messaging'
import { OPTED_OUT } from '../providers/opt-out'
import type { UpstreamAttempt } from '../providers/types'
import type { DeliveryRow } from '../storage/deliveries'
import { forwardOrQueue } from './forward'

/** The receipt-relevant columns of a Genesys delivery. */
export type GenesysDelivery = Pick<
  DeliveryRow,
  'genesys_message_id' | 'genesys_recipient' | 'genesys_channel'
>

const DELIVERED = new Set(['delivered'])
const FAILED = new Set(['failed', 'undelivered', 'rejected', 'expired', 'deleted', 'dead'])

/** Genesys's receipt status for a provider's final status (SCG or Twilio spelling); undefined if not final. */
export function receiptStatusOf(status: string): 'Delivered' | 'Failed' | undefined {
  const s = status.toLowerCase()
  return DELIVERED.has(s) ? 'Delivered' : FAILED.has(s) ? 'Failed' : undefined
}

/**
 * A provider's status of a Genesys message we sent: its first final status becomes its one final
 * receipt; undefined for any other status.
 */
export function receiptForStatus(
  tenant: TenantConfig,
  ours: GenesysDelivery & Pick<DeliveryRow, 'provider_status'>,
  providerStatus: string,
  now: number,
  optedOut = false,
): GenesysCall | undefined {
  const status = receiptStatusOf(providerStatus)
  const why =
    status === 'Failed' ? `${optedOut ? `${OPTED_OUT}: ` : ''}provider status ${providerStatus}` : undefined
  const first = !receiptStatusOf(ours.provider_status ?? '')
  return status && first ? receiptOf(tenant, ours, status, now, why) : undefined
}

/** A refusal whose text starts with `OPTED_OUT` (our opt-out list, or the provider's answer) says so. */
const reasonCodeOf = (why: string) => (why.startsWith(OPTED_OUT) ? OPTED_OUT : 'GeneralError')

/**
 * The final receipt of a Genesys message we sent (docs/protocols.md, "Genesys"), over the transport
 * the message came in on; undefined when there is none to send it over.
 */
export function receiptOf(
  tenant: TenantConfig,
  row: GenesysDelivery,
  status: 'Delivered' | 'Failed',
  now: number,
  why?: string,
): GenesysCall | undefined {
  if (!row.genesys_message_id || !transportOf(tenant, row.genesys_channel)) return undefined
  return {
    kind: 'receipt',
    ...(row.genesys_channel ? { channel: row.genesys_channel } : {}),
    body: {
      id: row.genesys_message_id,
      channel: {
        // Multicloud matches receipts on the `messageId` our webhook reply gave (the delivery's guid).
        ...(row.genesys_channel ? { messageId: genesysGuid(row.genesys_message_id) } : {}),
        to: { id: row.genesys_recipient ?? '' },
        time: new Date(now).toISOString(),
      },
      status,
      direction: 'Outbound',
      isFinalReceipt: true,
      ...(why ? { reasons: [{ code: reasonCodeOf(why), message: why.slice(0, 200) }] } : {}),
    },
  }
}

/**
 * Tell Genesys a message will not be delivered (rejected, or our retries ended). A receipt that cannot
 * be sent is stored for the cron; one that can be neither sent nor stored is logged, since the send
 * outcome itself is already recorded. Answers the call made, if any.
 */
export async function sendFailedReceipt(
  deps: Deps,
  tenant: TenantConfig,
  row: GenesysDelivery,
  why: string,
): Promise<UpstreamAttempt | undefined> {
  const receipt = receiptOf(tenant, row, 'Failed', deps.now(), why)
  if (!receipt) return undefined
  try {
    return (await forwardOrQueue(deps, tenant, `receipt:${row.genesys_message_id}`, receipt)).attempt
  } catch (e) {
    deps.log.error('genesys receipt lost', { id: row.genesys_message_id, ...describeError(e) })
    return undefined
  }
}

/** Our retries of a Genesys message ended (`dead`, `expired`): its `Failed` receipt. */
export async function receiptForEndedRetry(deps: Deps, tenant: TenantConfig, guid: string, why: string) {
  if (!isGenesysGuid(guid)) return
  const delivery = await withShard(deps, guid)
    .stores.deliveries.get(tenant.id, guid)
    .catch(() => null)
  if (delivery?.source === 'genesys') await sendFailedReceipt(deps, tenant, delivery, why)
}
