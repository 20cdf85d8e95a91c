import * as z from 'zod/mini'

/** `POST …/messaging/message_requests` body (docs/protocols.md, "Syniverse SCG"). Arrays, never strings. */
export interface ScgMessageRequest {
  from: string
  to: string[]
  body: string
  media_urls?: string[]
  external_id: string
  content_type?: string
}

/** A created message request: `{"id":"<22-char id>"}`. */
export const ScgSendResponseSchema = z.looseObject({ id: z.string().check(z.minLength(1)) })

/** SCG error body; `error_code` comes as `"4001"` or `"SCG_ERROR_4001"`, sometimes as a number. */
export const ScgErrorBodySchema = z.looseObject({
  error_code: z.pipe(z.union([z.string(), z.number()]), z.transform(String)),
  error_description: z.optional(z.string()),
})
