import { z } from 'zod'

/**
 * The fields of a CI360 External System Task event we act on (reference/ci360.md §1.2). Everything else
 * in the (large, mostly null) event is tolerated and ignored.
 */
export const OutboundEventSchema = z.looseObject({
  eventType: z.literal('outboundSystem'),
  eventName: z.string().nullish(),
  guid: z.string().trim().min(1).max(200),
  date: z.looseObject({ generatedTimestamp: z.number().finite() }),
  identityId: z.string().trim().min(1).max(200),
  externalTenantId: z.string().trim().min(1).max(200),
  impression: z.looseObject({ creativeContent: z.string() }),
  properties: z.looseObject({ externalCode: z.string().max(200).nullish() }).nullish(),
})

export type OutboundEvent = z.infer<typeof OutboundEventSchema>

/** `identityId|externalCode|tenant`: read back from SCG's `external_message_request_id` (ci360.md §3.1). */
export const externalIdOf = (e: OutboundEvent): string =>
  `${e.identityId}|${e.properties?.externalCode ?? ''}|${e.externalTenantId}`
