import { describe, expect, it } from 'vitest'
import { newFailedRequestId } from '../storage/failed-requests'
import { parseListQuery } from './present'
import { idCursor } from './query'

const encodeCursor = idCursor.encode

describe('list query parsing', () => {
  it('defaults to 50 rows and accepts the bounds 1 and 100', () => {
    expect(parseListQuery({})).toEqual({ limit: 50 })
    expect(parseListQuery({ limit: '1' }).limit).toBe(1)
    expect(parseListQuery({ limit: '100' }).limit).toBe(100)
  })

  it('round-trips a cursor to the id it was made from, and treats empty parameters as absent', () => {
    const id = newFailedRequestId(Date.now())
    const cursor = encodeCursor(id)
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/)
    expect(cursor).not.toContain(id)
    expect(parseListQuery({ cursor, state: '', kind: 'scg' })).toEqual({ limit: 50, before: id, kind: 'scg' })
  })

  it('refuses a cursor that decodes to something other than an id', () => {
    expect(() => parseListQuery({ cursor: encodeCursor('x'.repeat(29)) })).toThrow(/cursor/)
    expect(() => parseListQuery({ cursor: '%%%' })).toThrow(/cursor/)
  })
})
