import * as z from 'zod/mini'
import type { Deps } from '../deps'
import { AppError } from '../lib/app-error'
import { cursorCodec } from '../lib/cursor'
import { E164, E164_RULE } from '../lib/e164'
import { SUPPRESSION_CHANNELS, SUPPRESSION_SOURCES, type SuppressionChannel } from '../lib/vocabulary'
import type { Body } from '../openapi/reply'
import type { SuppressionChangeItem, SuppressionItem } from '../openapi/suppression-replies'
import type {
  SuppressionActor,
  SuppressionChange,
  SuppressionQuery,
  SuppressionRow,
} from '../storage/suppressions'
import { cursor, invalidParam, limit, oneOf, type Params, parseQuery } from './query'
import { EXPORT_HEADER, exportLine, parseImport } from './suppression-csv'

/**
 * The operator's side of the opt-out list (docs/compliance.md, "The operator's list"): list, add,
 * remove, import and export for one tenant, every change audited with the admin key's digest prefix.
 */

type Ctx = Pick<Deps, 'stores' | 'now'>

const iso = (ms: number) => new Date(ms).toISOString()

/** The last row of a page: (created_at, address, channel, sender), the list's order. */
export const suppressionCursor = cursorCodec<NonNullable<SuppressionQuery['before']>>({
  prefix: 's1:',
  maxLength: 400,
  write: (b) => [b.createdAt, b.address, b.channel, encodeURIComponent(b.sender)].join(':'),
  read(text) {
    const m = /^(\d{1,15}):(\+\d{6,15}):([a-z]*):(.*)$/s.exec(text)
    if (!m) return undefined
    const channel = m[3] as SuppressionChannel
    if (!(SUPPRESSION_CHANNELS as readonly string[]).includes(channel)) return undefined
    return {
      createdAt: Number(m[1]),
      address: m[2] as string,
      channel,
      sender: decodeURIComponent(m[4] as string),
    }
  },
})

export const suppressionItem = (row: SuppressionRow): Body<typeof SuppressionItem> => ({
  address: row.address,
  channel: row.channel,
  sender: row.sender === '' ? null : row.sender,
  source: row.source,
  keyword: row.keyword,
  created_at: iso(row.created_at),
})

export const changeItem = (row: SuppressionChange): Body<typeof SuppressionChangeItem> => ({
  address: row.address,
  channel: row.channel,
  sender: row.sender === '' ? null : row.sender,
  action: row.action,
  source: row.source,
  actor: row.actor,
  detail: row.detail,
  at: iso(row.at),
})

const address = z.optional(z.string().check(z.regex(E164, E164_RULE)))
const ListParams = z.object({
  address,
  source: oneOf(SUPPRESSION_SOURCES),
  limit,
  cursor: cursor(suppressionCursor),
})

/** `?address=&source=&limit=&cursor=`: a bad value → 400 naming it. */
export function parseSuppressionQuery(params: Params): SuppressionQuery {
  const p = parseQuery(ListParams, params)
  return {
    limit: p.limit ?? 50,
    ...(p.address ? { address: p.address } : {}),
    ...(p.source ? { source: p.source } : {}),
    ...(p.cursor ? { before: p.cursor } : {}),
  }
}

const ChangeParams = z.object({ address, limit })
export function parseChangeQuery(params: Params): { address?: string; limit: number } {
  const p = parseQuery(ChangeParams, params)
  return { limit: p.limit ?? 50, ...(p.address ? { address: p.address } : {}) }
}

/** An address from the path (URL-decoded by the router): E.164 or a 400 naming `address`. */
export function addressParam(value: string): string {
  if (!E164.test(value)) throw invalidParam('address', E164_RULE)
  return value
}

/** `?channel=` of a removal, when given. */
export function channelParam(params: Params): SuppressionChannel | undefined {
  return parseQuery(z.object({ channel: oneOf(SUPPRESSION_CHANNELS) }), params).channel
}

const printable = (max: number) =>
  z.optional(
    z.string().check(
      z.trim(),
      z.maxLength(max, `must be at most ${max} characters`),
      z.refine((v) => !/\p{Cc}/u.test(v), 'must not hold control characters'),
    ),
  )

/** The PUT body: `{channel?, sender?, reason?}`. */
export const AddBodySchema = z.strictObject({
  channel: z.optional(z.enum(SUPPRESSION_CHANNELS)),
  sender: printable(64),
  reason: printable(500),
})

/**
 * Add one entry by an operator; the stored entry (the earlier one when it was already listed, now held
 * by the operator if a keyword or a provider had listed it: START no longer lifts it).
 */
export async function addEntry(
  ctx: Ctx,
  tenantId: string,
  address: string,
  body: z.output<typeof AddBodySchema>,
  actor: SuppressionActor,
): Promise<{ created: boolean; row: SuppressionRow }> {
  const now = ctx.now()
  const entry = {
    address,
    channel: body.channel ?? 'sms',
    sender: body.sender ?? '',
    source: 'operator' as const,
    reason: body.reason || null,
  }
  const created = (await ctx.stores.suppressions.addMany(tenantId, [entry], actor, now, { hold: true })) === 1
  if (created)
    return { created, row: { tenant_id: tenantId, keyword: null, evidence: null, ...entry, created_at: now } }
  const listed = await ctx.stores.suppressions.list(tenantId, { address, limit: 100 })
  const row = listed.find((r) => r.channel === entry.channel && r.sender === entry.sender)
  // Removed between the two calls: report what was asked, as already listed a moment ago.
  return {
    created,
    row: row ?? { tenant_id: tenantId, keyword: null, evidence: null, ...entry, created_at: now },
  }
}

const NOT_CSV = () =>
  new AppError('VALIDATION_FAILED', 'The body is not CSV text (UTF-8, without NUL or control bytes).', {
    details: { fields: ['(body)'] },
  })

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false })

/** The import body as text: UTF-8 (a byte order mark is dropped), no NUL or other control bytes. */
export function csvText(bytes: Uint8Array): string {
  let text: string
  try {
    text = utf8.decode(bytes)
  } catch {
    // The fatal decoder's only way to say "not UTF-8": the body is not text.
    throw NOT_CSV()
  }
  // Control characters other than tab and line ends: a binary file, not text.
  if (/[^\P{Cc}\t\r\n]/u.test(text)) throw NOT_CSV()
  return text
}

/** A CSV import: every valid line added in one transaction (all or nothing), bad lines listed. */
export async function importEntries(ctx: Ctx, tenantId: string, text: string, actor: SuppressionActor) {
  const { valid, rejected } = parseImport(text)
  const seen = new Set<string>()
  const entries = valid
    .filter((e) => {
      const key = `${e.address} ${e.channel} ${e.sender}`
      if (seen.has(key)) return false
      seen.add(key)
      return true
    })
    .map((e) => ({ ...e, source: 'import' as const }))
  const added = await ctx.stores.suppressions.addMany(tenantId, entries, actor, ctx.now(), { hold: true })
  return { status: 'OK' as const, added, already: valid.length - added, rejected }
}

const EXPORT_PAGE = 1000

/** Every entry of the tenant as CSV, newest first, read a page at a time. */
export async function exportEntries(ctx: Ctx, tenantId: string): Promise<string> {
  const lines = [EXPORT_HEADER]
  let before: SuppressionQuery['before']
  for (;;) {
    const rows = await ctx.stores.suppressions.list(tenantId, {
      limit: EXPORT_PAGE,
      ...(before ? { before } : {}),
    })
    lines.push(...rows.map(exportLine))
    const last = rows.at(-1)
    if (rows.length < EXPORT_PAGE || !last) break
    before = { createdAt: last.created_at, address: last.address, channel: last.channel, sender: last.sender }
  }
  return `${lines.join('\r\n')}\r\n`
}

/** The cursor of a list page's last row. */
export const cursorOf = (last: SuppressionRow) =>
  suppressionCursor.encode({
    createdAt: last.created_at,
    address: last.address,
    channel: last.channel,
    sender: last.sender,
  })
