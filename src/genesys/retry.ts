import { safeJsonParse } from '../lib/http'
import { retryOutcomeOf } from '../outbox/outcome'
import { callGenesys, type GenesysCall } from '../providers/genesys/client'
import { isGenesysGuid } from '../providers/genesys/open-messaging'
import type { SendSource } from '../retry/outbound'
import type { RetryHandler, RetryKind } from '../retry/types'
import { receiptForEndedRetry } from './receipts'
import { storedGenesysSend } from './send'

/** Retry of a stored `genesys_event` (a receipt or a customer's message): post the same call again. */
export const retryGenesysEvent: RetryHandler = async ({ deps, tenant, row }) => {
  const call = safeJsonParse(row.event_body) as Partial<GenesysCall> | undefined
  if (!call || (call.kind !== 'receipt' && call.kind !== 'message') || typeof call.body !== 'object') {
    return { result: 'dead', error: 'stored body is not a Genesys call', httpStatus: null, attempted: false }
  }
  const result = await callGenesys(deps, tenant, call as GenesysCall)
  if (result.ok) return { result: 'done', detail: `Genesys answered ${result.value}` }
  return retryOutcomeOf(result.error)
}

/** A `genesys_event` row: a call to Genesys, tracked on the stored webhook event it came from. */
export const genesysEventKind: RetryKind = {
  outbound: false,
  retry: retryGenesysEvent,
  tracked: () => true,
}

/**
 * A message Genesys asked us to send (delivery source `genesys`): the retry re-reads the Open message
 * as Genesys sent it, its attempts are tracked on the stored Genesys delivery, and retries that end
 * send Genesys a `Failed` receipt.
 */
export const genesysSendSource: SendSource = {
  prepare: ({ deps, tenant, row, now }, body, origin) =>
    storedGenesysSend(deps, tenant, body, row.generated_timestamp ?? now, origin),
  tracks: isGenesysGuid,
  onEnded: ({ deps, tenant, row }, error) => receiptForEndedRetry(deps, tenant, row.guid, error),
}
