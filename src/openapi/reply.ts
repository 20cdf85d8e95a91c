import * as z from 'zod/mini'
import * as R from './replies'

/**
 * Types of reply bodies, taken from their schemas: changing a schema without changing the code that
 * builds the reply (or the reverse) is a type error.
 */

/** The JSON body a reply schema documents: what a handler builds (the schema's input side). */
export type Body<S extends z.ZodMiniType> = z.input<S>

/** The documented JSON replies of one operation, keyed by HTTP status. */
export type ReplySet = { readonly [status: number]: z.ZodMiniType }

/** A reply picked at run time among documented statuses: `{ status, body }`, the body typed per status. */
export type Reply<M extends ReplySet> = {
  [K in keyof M & number]: { status: K; body: z.input<M[K]> }
}[keyof M & number]

/** `POST /v1/tenants/{tenant}/{provider}/messages` when it does not answer an error. */
export const outboundReplies = {
  200: z.union([R.OutboundOk, R.OutboundDuplicate, R.OutboundSkipped, R.OutboundSuppressed]),
  202: z.union([R.OutboundQueued, R.OutboundDeferred, R.OutboundAccepted]),
} as const

/** `POST …/failed-requests/{id}/retry`: as the original route would answer, plus the row's id. */
export const retryReplies = {
  200: z.union([R.RetryOk, R.RetryDuplicate, R.RetryStale, R.RetrySuppressed]),
  202: z.union([R.RetryQueued, R.RetryAccepted]),
} as const

/** `POST …/bulk/s3` with `bulk_mode=async`. */
export const bulkAcceptReplies = { 200: R.BulkDuplicate, 202: R.BulkQueued } as const
