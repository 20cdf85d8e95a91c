import * as z from 'zod/mini'
import { DELIVERY_STATES, INBOUND_STATES } from '../admin/operator-states'
import type { Operation } from './document'

/** The operator console's routes (docs/console.md) for the OpenAPI document. */

type AdminOperation = (
  method: Operation['method'],
  path: string,
  summary: string,
  responses: Operation['responses'],
  params?: Operation['params'],
) => Operation

const iso = () => z.string().check(z.regex(/^\d{4}-\d\d-\d\dT/))
const query = (name: string, description: string, schema: z.ZodMiniType = z.string()) => ({
  name,
  in: 'query' as const,
  description,
  schema,
})
const page = [
  query('from', 'ISO 8601, inclusive'),
  query('to', 'ISO 8601, exclusive'),
  query('limit', '1–100, default 50', z.int()),
  query('cursor', 'next_cursor of the previous page'),
]
const id = { name: 'id', in: 'path' as const, description: 'event id', schema: z.string() }

const EventItem = z.object({
  id: z.string(),
  source: z.enum(['scg', 'twilio', 'genesys']),
  event_key: z.string(),
  type: z.string(),
  state: z.enum(INBOUND_STATES),
  message_id: z.nullable(z.string()),
  attempts: z.number(),
  received_at: iso(),
  updated_at: iso(),
})
const Tracking = z.object({
  at: iso(),
  target: z.nullable(z.string()),
  http_status: z.nullable(z.number()),
  latency_ms: z.nullable(z.number()),
  outcome: z.string(),
  replay: z.optional(z.boolean()),
})
const Counts = z.record(z.string(), z.number())
const bad = (params: string) => ({ description: `Bad ${params} (VALIDATION_FAILED, naming it)` })

export const operatorOperations = (admin: AdminOperation): Operation[] => [
  admin(
    'get',
    '/v1/tenants/{tenant}/events',
    'Stored webhook deliveries, newest first',
    {
      '200': {
        description: 'A page',
        schema: z.object({
          status: z.literal('OK'),
          items: z.array(EventItem),
          next_cursor: z.nullable(z.string()),
        }),
      },
      '400': bad('source, state, type, from, to, q, limit or cursor'),
    },
    [
      query('source', 'scg | twilio | genesys'),
      query('state', INBOUND_STATES.join(' | ')),
      query('type', 'SCG evt-tp, or Twilio status | inbound'),
      query('q', 'exact event key, provider message id or guid'),
      ...page,
    ],
  ),
  admin(
    'get',
    '/v1/tenants/{tenant}/events/{id}',
    'One stored delivery with its raw body and tracking',
    {
      '200': {
        description: 'The event',
        schema: z.object({
          status: z.literal('OK'),
          item: z.extend(EventItem, {
            content_type: z.nullable(z.string()),
            body: z.string(),
            tracking: z.array(Tracking),
          }),
        }),
      },
    },
    [id],
  ),
  admin(
    'post',
    '/v1/tenants/{tenant}/events/{id}/replay',
    'Run the stored body through its pipeline again, bypassing dedupe',
    { '200': { description: 'The outcome (OK, QUEUED, IGNORED…), as the webhook would answer' } },
    [id],
  ),
  admin(
    'post',
    '/v1/tenants/{tenant}/events/{id}/handled',
    'Mark handled (kept for audit)',
    { '200': { description: 'Marked', schema: z.object({ status: z.literal('OK') }) } },
    [id],
  ),
  admin(
    'get',
    '/v1/tenants/{tenant}/messages',
    'Search delivery records, newest first',
    {
      '200': { description: 'A page of records (as messages/{guid}, without history)' },
      '400': bad('parameters'),
    },
    [
      query('state', DELIVERY_STATES.join(' | ')),
      query('provider', 'scg | twilio'),
      query('q', 'exact guid, provider message id or externalCode'),
      ...page,
    ],
  ),
  admin(
    'get',
    '/v1/tenants/{tenant}/stats',
    'Dashboard counts per hour or day, and pending counts',
    {
      '200': {
        description: 'Counts',
        schema: z.object({
          status: z.literal('OK'),
          buckets: z.array(
            z.object({ at: iso(), deliveries: Counts, provider_statuses: Counts, events: Counts }),
          ),
          pending: z.object({ failed_requests: z.number(), uncertain: z.number() }),
        }),
      },
      '400': bad('from, to or bucket'),
    },
    [
      query('from', 'ISO 8601; default 24 hours (30 days) before to'),
      query('to', 'ISO 8601; default the end of the current hour (day)'),
      query('bucket', 'hour | day, default hour'),
    ],
  ),
]
