import * as z from 'zod/mini'
import { SUPPRESSION_CHANNELS, SUPPRESSION_SOURCES } from '../lib/vocabulary'
import { iso } from './operator-replies'

/**
 * Reply shapes of the opt-out list's operator routes (docs/compliance.md, "The operator's list"),
 * written inline in the OpenAPI document like ./operator-replies.ts.
 */

export const SuppressionItem = z.object({
  address: z.string(),
  channel: z.enum(SUPPRESSION_CHANNELS),
  sender: z.nullable(z.string()),
  source: z.enum(SUPPRESSION_SOURCES),
  keyword: z.nullable(z.string()),
  created_at: iso(),
})
export const SuppressionList = z.object({
  status: z.literal('OK'),
  items: z.array(SuppressionItem),
  next_cursor: z.nullable(z.string()),
})
export const SuppressionAdded = z.object({
  status: z.literal('OK'),
  item: SuppressionItem,
  created: z.boolean(),
})
export const SuppressionRemoved = z.object({ status: z.literal('OK'), items: z.array(SuppressionItem) })
export const SuppressionImported = z.object({
  status: z.literal('OK'),
  added: z.number(),
  already: z.number(),
  rejected: z.array(z.object({ line: z.number(), reason: z.string() })),
})
export const SuppressionChangeItem = z.object({
  address: z.string(),
  channel: z.enum(SUPPRESSION_CHANNELS),
  sender: z.nullable(z.string()),
  action: z.enum(['add', 'remove']),
  source: z.enum(SUPPRESSION_SOURCES),
  actor: z.string(),
  detail: z.nullable(z.string()),
  at: iso(),
})
export const SuppressionChanges = z.object({ status: z.literal('OK'), items: z.array(SuppressionChangeItem) })
