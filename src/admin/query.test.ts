import { describe, expect, it } from 'vitest'
import { parseEventQuery, parseMessageQuery } from './operator-query'
import { idCursor, messageCursor } from './query'

const base64url = (text: string) => btoa(text).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '')
const messageOf = (run: () => unknown) => {
  try {
    run()
  } catch (error) {
    return (error as Error).message
  }
  return 'no error'
}

describe('page cursors', () => {
  it('encode as before (base64url of the prefixed text) and decode back', () => {
    const id = '0123456789abcdef0123456789abc'
    expect(idCursor.encode(id)).toBe(base64url(`v1:${id}`))
    expect(idCursor.decode(idCursor.encode(id))).toBe(id)
    const last = { createdAt: 1_770_000_000_000, guid: 'g/ü?1' }
    expect(messageCursor.encode(last)).toBe(
      base64url(`m1:${last.createdAt}:${encodeURIComponent(last.guid)}`),
    )
    expect(messageCursor.decode(messageCursor.encode(last))).toEqual(last)
  })

  it("refuses another list's cursor, bad base64 and bad escapes", () => {
    const id = '0123456789abcdef0123456789abc'
    expect(messageCursor.decode(idCursor.encode(id))).toBeUndefined()
    expect(idCursor.decode(messageCursor.encode({ createdAt: 1, guid: 'g' }))).toBeUndefined()
    expect(idCursor.decode('a')).toBeUndefined()
    expect(messageCursor.decode(base64url('m1:1:%E0%A4%A'))).toBeUndefined()
  })
})

describe('operator query parameters', () => {
  it('name the first bad parameter with its rule', () => {
    expect(messageOf(() => parseEventQuery({ limit: '0', source: 'email' }))).toBe(
      'Invalid query parameter limit: must be an integer from 1 to 100.',
    )
    expect(messageOf(() => parseEventQuery({ cursor: 'x!', from: 'soon' }))).toBe(
      'Invalid query parameter cursor: must be a next_cursor value returned by this endpoint.',
    )
    expect(messageOf(() => parseEventQuery({ from: '2026-05-02', to: '2026-05-01', limit: '0' }))).toBe(
      'Invalid query parameter to: must be after from.',
    )
    expect(messageOf(() => parseMessageQuery({ provider: 'email' }))).toBe(
      'Invalid query parameter provider: must be one of scg, twilio.',
    )
    expect(messageOf(() => parseEventQuery({ q: 'a\u0007b' }))).toBe(
      'Invalid query parameter q: must be at most 200 printable characters.',
    )
  })

  it('trim text, treat blank and empty parameters as absent, and read ISO dates as UTC', () => {
    expect(parseEventQuery({ q: '  abc ', type: '   ', state: '', limit: '7' })).toEqual({
      q: 'abc',
      limit: 7,
    })
    expect(parseMessageQuery({ from: '2026-05-01T12:00', to: '2026-05-02' })).toEqual({
      limit: 50,
      from: Date.UTC(2026, 4, 1, 12),
      to: Date.UTC(2026, 4, 2),
    })
  })
})
