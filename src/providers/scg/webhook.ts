import * as z from 'zod/mini'
import { preprocess, text } from '../../config/coerce'
import { AppError } from '../../lib/app-error'
import { parseJsonText } from '../../lib/http'
import { validationError } from '../../lib/validation'
import { isXmlContentType, parseXmlDocument } from './xml'

/**
 * Syniverse Event Manager deliveries (docs/protocols.md, "Event Manager"): the envelope
 * `{topic, attempt, event:{evt-tp, timestamp, fld-val-list}, event-id|event_id}` as JSON, or as XML
 * with the same element names.
 */

const idText = text.check(z.trim(), z.minLength(1), z.maxLength(200))
/** Values may arrive as numbers (JSON) or text (XML); null counts as absent. */
const optional = preprocess((v) => (v === null ? undefined : v), z.optional(text))

export const ScgEnvelopeSchema = z.looseObject({
  topic: z.optional(z.unknown()),
  attempt: z.optional(z.nullable(z.union([z.number(), z.string()]))),
  'event-id': z.optional(idText),
  event_id: z.optional(idText),
  event: z.looseObject({
    'evt-tp': idText,
    timestamp: z.optional(z.unknown()),
    'fld-val-list': z.optional(z.unknown()),
  }),
})

/** `message_state_change`: the fields we act on (the rest is ignored). */
export const ScgStatusFieldsSchema = z.looseObject({
  new_state: idText,
  /** Our `identityId|externalCode|tenant` (or the Java agent's two parts); SCG sends "" when none. */
  external_message_request_id: text.check(z.maxLength(1000)),
  message_request_id: optional,
  message_id: optional,
  previous_state: optional,
  reason_code: optional,
  /** The recipient and the sender as SCG names them (an opt-out answer lists the recipient). */
  to_address: optional,
  from_address: optional,
})

/** `mo_message_received`. */
export const ScgMoFieldsSchema = z.looseObject({
  from_address: idText,
  message_body: text,
  sender_id_id: optional,
  message_id: optional,
})

export type ScgStatusFields = z.infer<typeof ScgStatusFieldsSchema>
export type ScgMoFields = z.infer<typeof ScgMoFieldsSchema>

interface Common {
  eventId: string
  /** Delivery attempt as SCG counts it (number or numeric text); undefined when absent or not a number. */
  attempt: number | undefined
}

/** One Event Manager delivery in our terms. `other`: a type we do not act on. */
export type ScgDelivery =
  | (Common & { kind: 'status'; fields: ScgStatusFields })
  | (Common & { kind: 'mo'; fields: ScgMoFields })
  | (Common & { kind: 'other'; eventType: string })

/**
 * Parse a delivery body. XML when the Content-Type says so, JSON otherwise. Throws `INVALID_JSON`,
 * `INVALID_XML` or `VALIDATION_FAILED` (naming the missing or bad fields) as 400.
 */
export function parseScgDelivery(body: string, contentType: string | undefined): ScgDelivery {
  const doc = isXmlContentType(contentType) ? parseXmlDocument(body) : parseJsonText(body)
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new AppError('VALIDATION_FAILED', 'The delivery must be an object with an event.', {
      details: { fields: ['(body)'] },
    })
  }
  const envelope = ScgEnvelopeSchema.safeParse(doc)
  if (!envelope.success) throw validationError(envelope.error)
  const e = envelope.data
  const eventId = e['event-id'] ?? e.event_id
  if (!eventId) {
    throw new AppError('VALIDATION_FAILED', 'Invalid request: event-id: is required', {
      details: { fields: ['event-id'] },
    })
  }
  const common: Common = { eventId, attempt: attemptOf(e.attempt) }
  const eventType = e.event['evt-tp']
  const fields = e.event['fld-val-list']
  if (eventType === 'message_state_change') {
    return { ...common, kind: 'status', fields: parseFields(ScgStatusFieldsSchema, fields) }
  }
  if (eventType === 'mo_message_received') {
    return { ...common, kind: 'mo', fields: parseFields(ScgMoFieldsSchema, fields) }
  }
  return { ...common, kind: 'other', eventType }
}

function parseFields<T extends z.ZodMiniType>(schema: T, fields: unknown): z.infer<T> {
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) {
    const problem = fields === undefined ? 'is required' : 'must be an object'
    throw new AppError('VALIDATION_FAILED', `Invalid request: event.fld-val-list: ${problem}`, {
      details: { fields: ['event.fld-val-list'] },
    })
  }
  const parsed = schema.safeParse(fields)
  if (!parsed.success) throw validationError(parsed.error, 'event.fld-val-list.')
  return parsed.data
}

function attemptOf(value: number | string | null | undefined): number | undefined {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined
}
