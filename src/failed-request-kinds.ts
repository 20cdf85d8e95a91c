import { genesysEventKind, genesysSendSource } from './genesys/retry'
import { ci360EventKind } from './retry/ci360-event'
import { ci360SendSource, outboundKind } from './retry/outbound'
import type { RetryKinds } from './retry/types'

/**
 * Every kind of failed request with its hooks (`outbox/kinds.ts`): how the cron retries it, whether it
 * is an outbound send with a delivery record, whether it is tracked on a stored webhook event, and who
 * hears of its end. Assembled here, above the capabilities that define them, and handed to the retry
 * engine (the cron, an operator's Retry), so the engine names no kind (docs/architecture.md, "Where
 * new code goes").
 */
const outbound = outboundKind({ ci360: ci360SendSource, genesys: genesysSendSource })

export const failedRequestKinds: RetryKinds = {
  scg: outbound,
  twilio: outbound,
  ci360_event: ci360EventKind,
  genesys_event: genesysEventKind,
}
