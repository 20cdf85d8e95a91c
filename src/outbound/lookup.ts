import { err, ok, type Result } from '../lib/result'
import {
  LOOKUP_CLOCK_MARGIN_MS,
  type MessageProvider,
  type OutboundMessage,
  type SendReceipt,
} from '../providers/types'
import { UpstreamError } from '../upstream/error'

/** What a look-up before a send came to. `sent`: the provider was asked to send (a new message). */
export interface LookedSend {
  result: Result<SendReceipt & { found?: boolean }, UpstreamError>
  sent: boolean
}

export { LOOKUP_CLOCK_MARGIN_MS }

/**
 * After a send whose outcome we could not see (docs/guarantees.md): ask the provider for the message
 * first and send only when it has none. Found → success without a send. A look-up that fails (or a
 * provider without one) sends nothing and is retried later: it is an unknown outcome, never a refusal.
 */
export async function lookThenSend(
  provider: MessageProvider,
  message: OutboundMessage,
  since: number,
): Promise<LookedSend> {
  if (!provider.find) {
    return {
      result: err(unknown(provider, 'it offers no look-up, so the message is not sent again automatically')),
      sent: false,
    }
  }
  const found = await provider.find(message, since - LOOKUP_CLOCK_MARGIN_MS)
  if (!found.ok)
    return { result: err(unknown(provider, `the look-up failed (${found.error.summary()})`)), sent: false }
  // A routed look-up also names the route that has it (docs/guarantees.md).
  if (found.value) return { result: ok({ ...found.value, found: true }), sent: false }
  return { result: await provider.send(message), sent: true }
}

const unknown = (provider: MessageProvider, why: string) =>
  new UpstreamError({
    upstream: provider.id,
    kind: 'unavailable',
    retryable: true,
    ambiguous: true,
    message: `outcome of an earlier send unknown: ${why}`.slice(0, 400),
  })
