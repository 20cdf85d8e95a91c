import * as z from 'zod/mini'
import {
  FAILED_REQUEST_KINDS,
  FAILED_REQUEST_STATES,
  INBOUND_EVENT_SOURCES,
  INBOUND_STATES,
  MESSAGE_SEARCH_STATES,
  PROVIDER_IDS,
} from '../lib/vocabulary'
import { common, err, type Operation, tenantParam } from './operation'
import { EventList, EventOne, Marked, MessageList, StatsReply } from './operator-replies'
import * as R from './replies'
import { retryReplies } from './reply'

/**
 * The documented operations of the operator API (src/routes/admin.ts, operator-*.ts); kept out of the
 * Worker bundle like route-operations.ts.
 */

export const adminOperation = (
  method: Operation['method'],
  path: string,
  summary: string,
  responses: Operation['responses'],
  params: Operation['params'] = [],
): Operation => ({
  method,
  path,
  summary,
  tag: 'Operations',
  security: 'adminKey',
  params: [tenantParam, ...params],
  responses: { ...responses, '401': common['401'], '404': err('Unknown id or guid (NOT_FOUND)') },
})
const failedId = { name: 'id', in: 'path' as const, description: 'failed request id', schema: z.string() }

/** The operator API. */
export const adminOperations: Operation[] = [
  adminOperation(
    'get',
    '/v1/tenants/{tenant}/failed-requests',
    'List failed requests, newest first',
    {
      '200': { description: 'A page', schema: R.FailedRequestList },
      '400': err('Bad state, kind, limit or cursor (VALIDATION_FAILED)'),
    },
    [
      {
        name: 'state',
        in: 'query',
        description: 'pending | done | dead | expired',
        schema: z.enum(FAILED_REQUEST_STATES),
      },
      {
        name: 'kind',
        in: 'query',
        description: 'scg | twilio | ci360_event',
        schema: z.enum(FAILED_REQUEST_KINDS),
      },
      { name: 'limit', in: 'query', description: '1–100, default 50', schema: z.int() },
      { name: 'cursor', in: 'query', description: 'next_cursor of the previous page', schema: z.string() },
    ],
  ),
  adminOperation(
    'get',
    '/v1/tenants/{tenant}/failed-requests/{id}',
    'One failed request, with its stored event',
    { '200': { description: 'The row', schema: R.FailedRequestOne } },
    [failedId],
  ),
  adminOperation(
    'post',
    '/v1/tenants/{tenant}/failed-requests/{id}/retry',
    'Retry now; answers as the original route would',
    {
      '200': { description: 'OK, DUPLICATE (already done) or STALE', schema: retryReplies[200] },
      '202': { description: 'QUEUED again', schema: retryReplies[202] },
      '409': err('Being retried by the cron right now (IN_PROGRESS)'),
      '422': err('PROVIDER_REJECTED'),
      '502': err('Failed again on its last attempt (PROVIDER_UNAVAILABLE)'),
    },
    [failedId],
  ),
  adminOperation(
    'delete',
    '/v1/tenants/{tenant}/failed-requests/{id}',
    'Discard',
    { '204': { description: 'Discarded' } },
    [failedId],
  ),
  adminOperation(
    'get',
    '/v1/tenants/{tenant}/messages/{guid}',
    'Delivery record of one CI360 event',
    { '200': { description: 'The record', schema: R.DeliveryRecord } },
    [{ name: 'guid', in: 'path', description: 'CI360 event guid', schema: z.string() }],
  ),
]

export const query = (name: string, description: string, schema: z.ZodMiniType = z.string()) => ({
  name,
  in: 'query' as const,
  description,
  schema,
})
export const page = [
  query('from', 'ISO 8601, inclusive'),
  query('to', 'ISO 8601, exclusive'),
  query('limit', '1–100, default 50', z.int()),
  query('cursor', 'next_cursor of the previous page'),
]

/** A console search: GET, newest first, filtered by `filters` and paged; a bad parameter is a 400. */
export const searchOperation = (
  path: string,
  summary: string,
  ok: Operation['responses'][string],
  bad: string,
  filters: NonNullable<Operation['params']>,
) => adminOperation('get', path, summary, { '200': ok, '400': err(bad) }, [...filters, ...page])

/** Message search and stats. */
export const operatorSearchOperations: Operation[] = [
  searchOperation(
    '/v1/tenants/{tenant}/messages',
    'Search delivery records, newest first',
    { description: 'A page of records (as messages/{guid}, without history)', schema: MessageList },
    'Bad state, provider, from, to, q, limit or cursor (VALIDATION_FAILED, naming it)',
    [
      query('state', MESSAGE_SEARCH_STATES.join(' | ')),
      query('provider', PROVIDER_IDS.join(' | ')),
      query('q', 'exact guid, provider message id or externalCode'),
    ],
  ),
  adminOperation(
    'get',
    '/v1/tenants/{tenant}/stats',
    'Dashboard counts per hour or day, and pending counts',
    {
      '200': { description: 'Counts', schema: StatsReply },
      '400': err('Bad from, to or bucket (VALIDATION_FAILED, naming it)'),
    },
    [
      query('from', 'ISO 8601; default 24 hours (30 days) before to'),
      query('to', 'ISO 8601; default the end of the current hour (day)'),
      query('bucket', 'hour | day, default hour'),
    ],
  ),
]

const eventId = { name: 'id', in: 'path' as const, description: 'event id', schema: z.string() }

/** The event viewer's routes. */
export const operatorEventOperations: Operation[] = [
  searchOperation(
    '/v1/tenants/{tenant}/events',
    'Stored webhook deliveries, newest first',
    { description: 'A page', schema: EventList },
    'Bad source, state, type, from, to, q, limit or cursor (VALIDATION_FAILED, naming it)',
    [
      query('source', INBOUND_EVENT_SOURCES.join(' | ')),
      query('state', INBOUND_STATES.join(' | ')),
      query('type', 'SCG evt-tp, or Twilio status | inbound'),
      query('q', 'exact event key, provider message id or guid'),
    ],
  ),
  adminOperation(
    'get',
    '/v1/tenants/{tenant}/events/{id}',
    'One stored delivery with its raw body and tracking',
    {
      '200': { description: 'The event', schema: EventOne },
    },
    [eventId],
  ),
  adminOperation(
    'post',
    '/v1/tenants/{tenant}/events/{id}/replay',
    'Run the stored body through its webhook flow again, bypassing dedupe',
    {
      '200': {
        description: 'The outcome (OK, QUEUED, IGNORED…), as the webhook would answer',
        schema: R.WebhookReply,
      },
      '503': err('Storage unavailable (STORAGE_UNAVAILABLE)'),
    },
    [eventId],
  ),
  adminOperation(
    'post',
    '/v1/tenants/{tenant}/events/{id}/handled',
    'Mark handled (kept for audit)',
    { '200': { description: 'Marked', schema: Marked } },
    [eventId],
  ),
]
