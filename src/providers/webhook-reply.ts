import * as z from 'zod/mini'

/**
 * The JSON reply of every provider webhook (and of an operator's replay). Each webhook format builds it
 * (`WebhookFormat.reply`), typed by this schema, and the OpenAPI document shows the same schema.
 */
export const WebhookReply = z.looseObject({
  status: z.enum(['OK', 'QUEUED', 'DUPLICATE', 'IGNORED']),
  event_id: z.optional(z.string()),
  reason: z.optional(z.string()),
})
export type WebhookReplyBody = z.input<typeof WebhookReply>
