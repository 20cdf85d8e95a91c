import type { ProviderId } from '../providers/types'
import type { FailedRequestKind } from '../storage/failed-requests'
import { retryCi360Event } from './ci360-event'
import { retryGenesysEvent } from './genesys-event'
import { retryOutbound } from './outbound'
import type { RetryHandler } from './types'

/**
 * One retry handler per kind of failed request. Every outbound provider shares the generic outbound
 * handler (the provider comes from the row's kind); a new kind only needs its line here.
 */
export const RETRY_HANDLERS: Record<FailedRequestKind, RetryHandler> = {
  scg: retryOutbound,
  twilio: retryOutbound,
  ci360_event: retryCi360Event,
  genesys_event: retryGenesysEvent,
}

/** Kinds that are outbound messages: they have a `deliveries` row to keep in step. */
export const isOutboundKind = (kind: FailedRequestKind): kind is ProviderId =>
  kind === 'scg' || kind === 'twilio'
