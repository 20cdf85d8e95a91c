import * as z from 'zod/mini'
import type { FetchFn } from '../../lib/http'
import { safeJsonParse } from '../../lib/http'
import { err, ok, type Result } from '../../lib/result'
import { callUpstream, type ErrorReading, getInit } from '../../upstream/call'
import { UpstreamError } from '../../upstream/error'
import type { FoundMessage } from '../types'
import type { TwilioMessageRequest } from './schemas'

/** How many of the recipient's latest messages are compared (Twilio lists newest first). */
const PAGE_SIZE = 50

const nullableText = z.optional(z.nullable(z.string()))

/** `ListMessageResponse`: the page's messages, only the fields we match on. */
const TwilioMessageListSchema = z.looseObject({
  messages: z.array(
    z.looseObject({
      sid: z.string().check(z.minLength(1)),
      to: nullableText,
      from: nullableText,
      body: nullableText,
      messaging_service_sid: nullableText,
      direction: nullableText,
      date_created: nullableText,
    }),
  ),
})

/**
 * `GET …/Messages.json?To=&From=&PageSize=` (docs/protocols.md, "Twilio"): Twilio has no idempotency key
 * and no field of ours it echoes, so a message counts as ours when it went to the same recipient, from
 * the same sender (or Messaging Service), with the same body, created since `since`.
 */
export async function findTwilioMessage(
  ctx: { fetch: FetchFn; now: () => number },
  config: { apiUrl: string; authorization: string; timeoutMs: number },
  request: TwilioMessageRequest,
  since: number,
  readError: (reply: { status: number; statusText: string; text: string }) => ErrorReading,
): Promise<Result<FoundMessage | null, UpstreamError>> {
  const url = new URL(config.apiUrl)
  url.searchParams.set('To', request.To)
  if (request.From) url.searchParams.set('From', request.From)
  url.searchParams.set('PageSize', String(PAGE_SIZE))
  const reply = await callUpstream(ctx, {
    upstream: 'twilio',
    url: url.toString(),
    init: getInit(config.authorization),
    timeoutMs: config.timeoutMs,
    bodyLimit: 1024 * 1024,
    readError,
  })
  if (!reply.ok) return reply
  const parsed = TwilioMessageListSchema.safeParse(safeJsonParse(reply.value.text))
  if (!parsed.success) {
    return err(
      new UpstreamError({
        upstream: 'twilio',
        kind: 'bad_response',
        retryable: true,
        message: 'Twilio answered the Messages look-up with a body that is not a message list',
      }),
    )
  }
  const hit = parsed.data.messages.find(
    (m) =>
      m.to === request.To &&
      (!request.From || m.from === request.From) &&
      (!request.MessagingServiceSid || m.messaging_service_sid === request.MessagingServiceSid) &&
      (m.body ?? '') === request.Body &&
      (m.direction ?? '').startsWith('outbound') &&
      Date.parse(m.date_created ?? '') >= since,
  )
  return ok(hit ? { messageId: hit.sid } : null)
}
