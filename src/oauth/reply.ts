import * as z from 'zod/mini'

/** The 200 reply of RFC 6749 §5.1. */
export const TokenReply = z.object({
  access_token: z.string(),
  token_type: z.literal('Bearer'),
  expires_in: z.number(),
  refresh_token: z.optional(z.string()),
  scope: z.string(),
})
export type TokenReply = z.infer<typeof TokenReply>
