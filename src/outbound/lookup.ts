import { err, ok, type Result } from '../lib/result'
import type { MessageProvider, OutboundMessage, SendReceipt } from '../providers/types'
import { UpstreamError } from '../upstream/error'

/** What a look-up before a send came to. `sent`: the provider was asked to send (a new message). */
export interface LookedSend {
  result: Result<SendReceipt & { found?: boolean }, UpstreamError>
  sent: boolean
}

/**
 * How far back a provider's list is searched: from the claim, less a margin for clocks that disagree
 * (ours and the provider's).
 */
export const LOOKUP_CLOCK_MARGIN_MS = 5 * 60_000

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
  if (found.value) return { result: ok({ messageId: found.value.messageId, found: true }), sent: false }
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
