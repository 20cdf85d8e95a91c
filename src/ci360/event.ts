import * as z from 'zod/mini'

/**
 * The fields of a CI360 External System Task event we act on (docs/protocols.md, "CI360"). Everything else
 * in the (large, mostly null) event is tolerated and ignored.
 */
const id = () => z.string().check(z.trim(), z.minLength(1), z.maxLength(200))

export const OutboundEventSchema = z.looseObject({
  eventType: z.literal('outboundSystem'),
  eventName: z.nullish(z.string()),
  guid: id(),
  date: z.looseObject({ generatedTimestamp: z.number() }),
  identityId: id(),
  externalTenantId: id(),
  impression: z.looseObject({ creativeContent: z.string() }),
  properties: z.nullish(z.looseObject({ externalCode: z.nullish(z.string().check(z.maxLength(200))) })),
})

export type OutboundEvent = z.infer<typeof OutboundEventSchema>

/** `identityId|externalCode|tenant`: read back from SCG's `external_message_request_id` (docs/protocols.md, "CI360"). */
export const externalIdOf = (e: OutboundEvent): string =>
  `${e.identityId}|${e.properties?.externalCode ?? ''}|${e.externalTenantId}`
