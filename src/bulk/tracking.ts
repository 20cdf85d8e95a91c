/** How a bulk webhook is recognised when CI360 delivers it again (docs/bulk-s3.md). */
export interface BulkTracking {
  responseTrackingCode: string | null
  /** `rtc:<code>`, else `task:<taskId>:<occurrenceId>`, else undefined (every delivery is new). */
  dedupeKey: string | undefined
}

const MAX_ID_LENGTH = 200

/**
 * A string field of `body` at the top level or one object down. CI360's bulk payload nesting is only
 * known for `presignedUrls` and `sendParameters`, so the ids are looked for in both places.
 */
function findId(body: Record<string, unknown>, name: string): string | undefined {
  const usable = (v: unknown): v is string =>
    typeof v === 'string' && v.trim() !== '' && v.length <= MAX_ID_LENGTH
  if (usable(body[name])) return body[name].trim()
  for (const value of Object.values(body)) {
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      const inner = (value as Record<string, unknown>)[name]
      if (usable(inner)) return inner.trim()
    }
  }
  return undefined
}

export function bulkTracking(body: unknown): BulkTracking {
  const record = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {}
  const rtc = findId(record, 'responseTrackingCode')
  if (rtc) return { responseTrackingCode: rtc, dedupeKey: `rtc:${rtc}` }
  const task = findId(record, 'taskId')
  const occurrence = findId(record, 'occurrenceId')
  return {
    responseTrackingCode: null,
    dedupeKey: task && occurrence ? `task:${task}:${occurrence}` : undefined,
  }
}
