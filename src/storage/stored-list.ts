import { safeJsonParse } from '../lib/http'

/**
 * A JSON array column we wrote ourselves (a delivery's history, an event's tracking). A damaged value
 * reads as empty rather than failing the operator's view of the row.
 */
export function storedList<T>(column: string): T[] {
  const parsed = safeJsonParse(column)
  return Array.isArray(parsed) ? (parsed as T[]) : []
}
