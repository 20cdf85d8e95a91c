import * as z from 'zod/mini'

/**
 * The `CreateMessage` form fields we send (docs/protocols.md, "Twilio"). `MediaUrl` is repeated once per
 * URL; exactly one of `From` / `MessagingServiceSid` may be absent.
 */
export interface TwilioMessageRequest {
  To: string
  From?: string
  MessagingServiceSid?: string
  Body: string
  MediaUrl: string[]
  StatusCallback?: string
  /** Seconds Twilio may keep the message in its queue before failing it (1–36,000). */
  ValidityPeriod?: number
}

/** The form body, with `MediaUrl` repeated (never `MediaUrl[0]` or a comma list). */
export function toFormBody(r: TwilioMessageRequest): string {
  const form = new URLSearchParams()
  form.append('To', r.To)
  if (r.From !== undefined) form.append('From', r.From)
  if (r.MessagingServiceSid !== undefined) form.append('MessagingServiceSid', r.MessagingServiceSid)
  form.append('Body', r.Body)
  for (const url of r.MediaUrl) form.append('MediaUrl', url)
  if (r.ValidityPeriod !== undefined) form.append('ValidityPeriod', String(r.ValidityPeriod))
  if (r.StatusCallback !== undefined) form.append('StatusCallback', r.StatusCallback)
  return form.toString()
}

/** The 201 message resource; only what we keep (`sid`, initial `status`). */
export const TwilioMessageSchema = z.looseObject({
  sid: z.string().check(z.minLength(1)),
  status: z.optional(z.nullable(z.string())),
})

/** Twilio's error body `{code, message, more_info, status}` (docs/protocols.md, "Twilio"). */
export const TwilioErrorBodySchema = z.looseObject({
  code: z.pipe(z.union([z.number(), z.string().check(z.minLength(1))]), z.transform(String)),
  message: z.optional(z.string()),
  more_info: z.optional(z.string()),
})

const field = () => z.string().check(z.trim(), z.minLength(1))

/** A status callback (docs/protocols.md, "Twilio"); the parameter set varies by channel, so unknown keys are kept. */
export const TwilioStatusCallbackSchema = z.looseObject({
  MessageSid: field(),
  MessageStatus: field(),
  ErrorCode: z.optional(z.string()),
})

export type TwilioStatusCallback = z.infer<typeof TwilioStatusCallbackSchema>

/** An incoming message (docs/protocols.md, "Twilio"); `MediaUrl0..N-1` are read separately. */
export const TwilioInboundSchema = z.looseObject({
  MessageSid: field(),
  From: field(),
  Body: z._default(z.string(), ''),
  NumMedia: z.optional(z.string().check(z.regex(/^\s*\d{1,4}\s*$/))),
})

export type TwilioInbound = z.infer<typeof TwilioInboundSchema>
