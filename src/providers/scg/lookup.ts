import * as z from 'zod/mini'
import type { FetchFn } from '../../lib/http'
import { safeJsonParse } from '../../lib/http'
import { err, ok, type Result } from '../../lib/result'
import { callUpstream, type ErrorReading, getInit } from '../../upstream/call'
import { UpstreamError } from '../../upstream/error'
import type { FoundMessage } from '../types'

/** SCG's list reply `{list:[…], offset, limit, total}`; only the fields we match on. */
const ScgMessageRequestListSchema = z.looseObject({
  list: z.array(
    z.looseObject({ id: z.string().check(z.minLength(1)), external_id: z.optional(z.nullable(z.string())) }),
  ),
})

/**
 * `GET …/messaging/message_requests?external_id=<ours>` (docs/protocols.md, "Syniverse SCG"): our
 * external id carries the CI360 guid, so at most one message request can match a CI360 event.
 */
export async function findScgMessageRequest(
  ctx: { fetch: FetchFn; now: () => number },
  config: { apiUrl: string; accessToken: string; timeoutMs: number },
  externalId: string,
  readError: (reply: { status: number; text: string }) => ErrorReading,
): Promise<Result<FoundMessage | null, UpstreamError>> {
  const url = new URL(config.apiUrl)
  url.searchParams.set('external_id', externalId)
  const reply = await callUpstream(ctx, {
    upstream: 'scg',
    url: url.toString(),
    init: getInit(`Bearer ${config.accessToken}`),
    timeoutMs: config.timeoutMs,
    bodyLimit: 256 * 1024,
    readError,
  })
  if (!reply.ok) return reply
  const parsed = ScgMessageRequestListSchema.safeParse(safeJsonParse(reply.value.text))
  if (!parsed.success) {
    return err(
      new UpstreamError({
        upstream: 'scg',
        kind: 'bad_response',
        retryable: true,
        message: 'SCG answered the message request look-up with a body that is not a list',
      }),
    )
  }
  const hit = parsed.data.list.find((r) => r.external_id === externalId)
  return ok(hit ? { messageId: hit.id } : null)
}
