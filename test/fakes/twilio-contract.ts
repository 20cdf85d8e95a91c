import { readFileSync } from 'node:fs'
import { fixturePath } from './fixture-path'

/**
 * The `CreateMessage` request contract, read from Twilio's own OpenAPI file (test/fixtures/twilio): the
 * declared fields and their types, formats, patterns and enums, `required`, and the
 * `x-twilio.conditional` groups (From | MessagingServiceSid; Body | MediaUrl | ContentSid). A few rules
 * Twilio documents outside the schema are added: at most 10 MediaUrl, no `_` in the callback host.
 */

interface Schema {
  type?: string
  format?: string
  minLength?: number
  maxLength?: number
  pattern?: string
  enum?: string[]
  items?: Schema
  $ref?: string
}

interface Spec {
  paths: Record<string, Record<string, any>>
  components: { schemas: Record<string, Schema> }
}

export interface ContractViolation {
  code: number
  message: string
}

export const MESSAGES_PATH = '/2010-04-01/Accounts/{AccountSid}/Messages.json'
const SPEC_FILE = fixturePath('twilio/twilio_api_v2010.json')

function loadContract() {
  const spec = JSON.parse(readFileSync(SPEC_FILE, 'utf8')) as Spec
  const operation = spec.paths[MESSAGES_PATH]?.post
  if (operation?.operationId !== 'CreateMessage')
    throw new Error('CreateMessage not found in the OpenAPI file')
  const body = operation.requestBody.content['application/x-www-form-urlencoded'].schema
  const resolve = (s: Schema): Schema =>
    s.$ref ? (spec.components.schemas[s.$ref.replace('#/components/schemas/', '')] as Schema) : s
  const properties: Record<string, Schema> = {}
  for (const [name, s] of Object.entries(body.properties as Record<string, Schema>))
    properties[name] = resolve(s)
  const byWireName = (snake: string) =>
    Object.keys(properties).find((p) => p.toLowerCase() === snake.replace(/_/g, '').toLowerCase()) ?? snake
  const conditional = (operation['x-twilio']?.conditional ?? []) as string[][]
  const list = spec.paths[MESSAGES_PATH]?.get
  if (list?.operationId !== 'ListMessage') throw new Error('ListMessage not found in the OpenAPI file')
  const listQuery: Record<string, Schema> = {}
  for (const p of list.parameters as { name: string; in: string; schema: Schema }[])
    if (p.in === 'query') listQuery[p.name] = p.schema
  return {
    listQuery,
    accountSidPattern: new RegExp(
      operation.parameters.find((p: any) => p.name === 'AccountSid').schema.pattern as string,
    ),
    properties,
    required: (body.required ?? []) as string[],
    oneOfGroups: conditional.map((group) => group.map(byWireName)),
  }
}

export const contract = loadContract()

const E164 = /^\+[1-9]\d{1,14}$/
const CHANNEL_ADDRESS = /^(whatsapp|messenger|rcs|sms):(.+)$/i
const ALPHANUMERIC_SENDER = /^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$/
const SHORT_CODE = /^\d{3,8}$/

function isPhoneNumber(value: string, field: string): boolean {
  const channel = CHANNEL_ADDRESS.exec(value)
  if (channel) return channel[1]?.toLowerCase() !== 'whatsapp' || E164.test(channel[2] ?? '')
  if (E164.test(value)) return true
  return field !== 'To' && (ALPHANUMERIC_SENDER.test(value) || SHORT_CODE.test(value))
}

function isHttpUrl(value: string, allowUnderscoreHost: boolean): boolean {
  try {
    const u = new URL(value)
    return (
      (u.protocol === 'https:' || u.protocol === 'http:') &&
      u.hostname !== '' &&
      (allowUnderscoreHost || !u.hostname.includes('_'))
    )
  } catch {
    return false
  }
}

const violation = (code: number, message: string): ContractViolation => ({ code, message })

/** The specific Twilio codes for the rules Twilio names; 20001 for other schema violations. */
function checkValue(name: string, schema: Schema, value: string): ContractViolation | undefined {
  if (schema.format === 'phone-number' && !isPhoneNumber(value, name)) {
    return name === 'To'
      ? violation(21211, `The 'To' number ${value} is not a valid phone number.`)
      : violation(
          21212,
          `The '${name}' number ${value} is not a valid phone number, shortcode, or alphanumeric sender ID.`,
        )
  }
  if (schema.format === 'uri' && !isHttpUrl(value, name !== 'StatusCallback')) {
    return name === 'StatusCallback'
      ? violation(21609, 'Invalid StatusCallback URL.')
      : violation(21620, 'Invalid media URL(s).')
  }
  const bad =
    (schema.type === 'integer' && !/^-?\d+$/.test(value)) ||
    (schema.type === 'number' && !Number.isFinite(Number(value))) ||
    (schema.type === 'boolean' && !['true', 'false'].includes(value.toLowerCase())) ||
    (schema.format === 'date-time' && Number.isNaN(Date.parse(value))) ||
    (schema.minLength !== undefined && value.length < schema.minLength) ||
    (schema.maxLength !== undefined && value.length > schema.maxLength) ||
    (schema.pattern !== undefined && !new RegExp(schema.pattern).test(value)) ||
    (schema.enum !== undefined && !schema.enum.includes(value))
  return bad ? violation(20001, `Invalid value for parameter ${name}.`) : undefined
}

/** Check a decoded form (every name with all of its values) against CreateMessage. */
export function checkCreateMessage(fields: Map<string, string[]>): ContractViolation | undefined {
  for (const [name, values] of fields) {
    const schema = contract.properties[name]
    if (!schema) return violation(20001, `Unknown parameter ${name} (not part of CreateMessage).`)
    if (schema.type !== 'array' && values.length > 1) {
      return violation(20001, `Parameter ${name} was given ${values.length} times.`)
    }
    for (const value of values) {
      const problem = checkValue(name, schema.type === 'array' ? (schema.items ?? {}) : schema, value)
      if (problem) return problem
    }
  }
  const present = (name: string) => (fields.get(name) ?? []).some((v) => v !== '')
  for (const name of contract.required) {
    if (!present(name)) return violation(21604, `A '${name}' phone number is required.`)
  }
  for (const group of contract.oneOfGroups) {
    if (group.some(present)) continue
    return group.includes('From')
      ? violation(21603, "A 'From' or 'MessagingServiceSid' parameter is required to send a message.")
      : violation(21619, 'A text message body or media urls must be specified.')
  }
  if ((fields.get('MediaUrl') ?? []).length > 10) {
    return violation(21623, 'Number of media files exceeds allowed limit (10).')
  }
  return undefined
}

/** Check a `ListMessage` query (`To`, `From`, `DateSent…`, `PageSize` 1–1000, …) against the OpenAPI file. */
export function checkListMessages(query: URLSearchParams): ContractViolation | undefined {
  for (const [name, value] of query) {
    const schema = contract.listQuery[name]
    if (!schema) return violation(20001, `Unknown query parameter ${name} (not part of ListMessage).`)
    const s = schema as Schema & { minimum?: number; maximum?: number }
    if (s.type === 'integer') {
      const n = Number(value)
      if (
        !/^\d+$/.test(value) ||
        (s.minimum !== undefined && n < s.minimum) ||
        (s.maximum !== undefined && n > s.maximum)
      )
        return violation(20001, `Invalid value for parameter ${name}.`)
      continue
    }
    const problem = checkValue(name, s, value)
    if (problem) return problem
  }
  return undefined
}
