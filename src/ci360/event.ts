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
  /** Read leniently (`trackingCodeOf`): a malformed code never stops a send. */
  responseTrackingCode: z.optional(z.unknown()),
  contactResponse: z.optional(z.unknown()),
})

export type OutboundEvent = z.infer<typeof OutboundEventSchema>

/**
 * CI360's correlation handle for results about this send (docs/guarantees.md): `contactResponse.
 * responseTrackingCode`, else the top-level one; an empty string counts as none.
 */
export function trackingCodeOf(e: OutboundEvent): string | null {
  const nested =
    typeof e.contactResponse === 'object' && e.contactResponse !== null
      ? (e.contactResponse as { responseTrackingCode?: unknown }).responseTrackingCode
      : undefined
  for (const code of [nested, e.responseTrackingCode]) {
    if (typeof code === 'string' && code.trim() !== '') return code.trim().slice(0, 200)
  }
  return null
}
