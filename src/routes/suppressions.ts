import type { Context } from 'hono'
import { Hono } from 'hono/tiny'
import * as z from 'zod/mini'
import { pageOf } from '../admin/present'
import {
  AddBodySchema,
  addEntry,
  addressParam,
  changeItem,
  channelParam,
  csvText,
  cursorOf,
  exportEntries,
  importEntries,
  parseChangeQuery,
  parseSuppressionQuery,
  suppressionItem,
} from '../admin/suppressions'
import type { AppEnv } from '../http/app-env'
import { reply, schema } from '../http/reply'
import { keyActor, requireTenantKey } from '../http/tenant-key'
import { AppError } from '../lib/app-error'
import { parseJsonText, readBodyBytes, readBodyText } from '../lib/http'
import { validationError } from '../lib/validation'
import { SUPPRESSION_CHANNELS, SUPPRESSION_SOURCES } from '../lib/vocabulary'
import { adminOperation, common, err, type Operation, query } from '../openapi/operation'
import * as S from '../openapi/suppression-replies'

/**
 * The operator's opt-out list (docs/compliance.md, "The operator's list"): list, add, remove, CSV import
 * and export, and the audit of changes. Tenant admin keys only; only that tenant's entries. Every change
 * is audited with the key's digest prefix (`keyActor`).
 */
export const suppressionRoutes = new Hono<AppEnv>()

const base = '/v1/tenants/:tenant/suppressions'
const admin = requireTenantKey('admin_api_keys')
const actorOf = (c: Context<AppEnv>) => keyActor(c.req.header('x-api-key') ?? '')

suppressionRoutes.get(base, admin, async (c) => {
  const query = parseSuppressionQuery(c.req.query())
  const rows = await c.get('deps').stores.suppressions.list(c.get('tenant').id, {
    ...query,
    limit: query.limit + 1,
  })
  return reply(
    c,
    200,
    schema<typeof S.SuppressionList>(),
    pageOf(rows, query.limit, suppressionItem, cursorOf),
  )
})

suppressionRoutes.get(`${base}/export`, admin, async (c) => {
  const csv = await exportEntries(c.get('deps'), c.get('tenant').id)
  return c.body(csv, 200, {
    'content-type': 'text/csv; charset=utf-8',
    'content-disposition': `attachment; filename="opt-outs-${c.get('tenant').id}.csv"`,
    'cache-control': 'no-store',
  })
})

suppressionRoutes.get(`${base}/changes`, admin, async (c) => {
  const q = parseChangeQuery(c.req.query())
  const rows = await c.get('deps').stores.suppressions.changes(c.get('tenant').id, q.limit, q.address)
  return reply(c, 200, schema<typeof S.SuppressionChanges>(), { status: 'OK', items: rows.map(changeItem) })
})

suppressionRoutes.post(`${base}/import`, admin, async (c) => {
  const type = (c.req.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase()
  if (type !== 'text/csv' && type !== 'text/plain')
    throw new AppError('VALIDATION_FAILED', 'Send the file as text/csv.', {
      details: { fields: ['content-type'] },
    })
  const text = csvText(await readBodyBytes(c.req.raw))
  const deps = c.get('deps')
  const result = await importEntries(deps, c.get('tenant').id, text, await actorOf(c))
  return reply(c, 200, schema<typeof S.SuppressionImported>(), result)
})

suppressionRoutes.put(`${base}/:address`, admin, async (c) => {
  const address = addressParam(c.req.param('address'))
  const text = await readBodyText(c.req.raw)
  const parsed = AddBodySchema.safeParse(text.trim() === '' ? {} : parseJsonText(text))
  if (!parsed.success) throw validationError(parsed.error)
  const deps = c.get('deps')
  const { created, row } = await addEntry(deps, c.get('tenant').id, address, parsed.data, await actorOf(c))
  return reply(c, 200, schema<typeof S.SuppressionAdded>(), {
    status: 'OK',
    item: suppressionItem(row),
    created,
  })
})

suppressionRoutes.delete(`${base}/:address`, admin, async (c) => {
  const address = addressParam(c.req.param('address'))
  const channel = channelParam(c.req.query())
  const deps = c.get('deps')
  const removed = await deps.stores.suppressions.remove(
    c.get('tenant').id,
    address,
    await actorOf(c),
    deps.now(),
    channel ? { channel } : {},
  )
  if (removed.length === 0)
    throw new AppError('NOT_FOUND', 'This number is not on the opt-out list of this tenant.', {
      details: { fields: ['address'] },
    })
  return reply(c, 200, schema<typeof S.SuppressionRemoved>(), {
    status: 'OK',
    items: removed.map(suppressionItem),
  })
})

const addressPath = {
  name: 'address',
  in: 'path' as const,
  description: 'E.164, URL-encoded (%2B15551234567)',
  schema: z.string(),
}
const channelQuery = query('channel', SUPPRESSION_CHANNELS.join(' | '))
const path = '/v1/tenants/{tenant}/suppressions'

/** The opt-out list's operations. */
export const suppressionOperations: Operation[] = [
  adminOperation(
    'get',
    path,
    "The tenant's opt-out list, newest first",
    {
      '200': { description: 'A page', schema: S.SuppressionList },
      '400': err('Bad address, source, limit or cursor (VALIDATION_FAILED, naming it)'),
    },
    [
      query('address', 'exact E.164 number'),
      query('source', SUPPRESSION_SOURCES.join(' | ')),
      query('limit', '1–100, default 50', z.int()),
      query('cursor', 'next_cursor of the previous page'),
    ],
  ),
  {
    ...adminOperation(
      'put',
      `${path}/{address}`,
      'Add a number (source operator); created false when it was already listed',
      {
        '200': { description: 'The entry', schema: S.SuppressionAdded },
        '400': err('Address not E.164, or a bad channel, sender or reason (VALIDATION_FAILED, naming it)'),
        '413': common['413'],
        '503': common['503'],
      },
      [addressPath],
    ),
    body: [{ type: 'application/json', schema: AddBodySchema, description: 'channel defaults to sms' }],
  },
  adminOperation(
    'delete',
    `${path}/{address}`,
    'Remove every entry of a number (any source), or only those of ?channel=',
    {
      '200': { description: 'The removed entries', schema: S.SuppressionRemoved },
      '400': err('Address not E.164 or a bad channel (VALIDATION_FAILED)'),
      '503': common['503'],
    },
    [addressPath, channelQuery],
  ),
  {
    ...adminOperation(
      'post',
      `${path}/import`,
      'Add the numbers of a CSV file (source import), all in one transaction',
      {
        '200': { description: 'Counts and the rejected lines', schema: S.SuppressionImported },
        '400': err('Not text/csv, or not CSV text at all (VALIDATION_FAILED)'),
        '413': common['413'],
        '503': err('Storage unavailable (STORAGE_UNAVAILABLE): nothing was added'),
      },
    ),
    body: [
      {
        type: 'text/csv',
        schema: z.string(),
        description:
          'Lines address[,channel,reason]; an optional header (first cell address) names the columns',
      },
    ],
  },
  adminOperation(
    'get',
    `${path}/export`,
    'Every entry as CSV: address,channel,sender,source,keyword,created_at',
    { '200': { description: 'The list', type: 'text/csv' } },
  ),
  adminOperation(
    'get',
    `${path}/changes`,
    'The audit: changes of the list, newest first',
    {
      '200': { description: 'Changes', schema: S.SuppressionChanges },
      '400': err('Bad address or limit (VALIDATION_FAILED, naming it)'),
    },
    [query('address', 'exact E.164 number'), query('limit', '1–100, default 50', z.int())],
  ),
]
