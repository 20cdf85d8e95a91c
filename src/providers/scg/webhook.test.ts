import { describe, expect, it } from 'vitest'
import { SCG_FIXTURES, type ScgFixtureName, toXml } from '../../../test/support/event-manager'
import { isAppError } from '../../lib/app-error'
import { parseScgDelivery } from './webhook'
import { isXmlContentType, parseXmlDocument } from './xml'

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn()
  } catch (e) {
    return isAppError(e) ? `${e.httpStatus} ${e.code}` : 'not an AppError'
  }
  return undefined
}

describe('parseScgDelivery', () => {
  for (const name of Object.keys(SCG_FIXTURES) as ScgFixtureName[]) {
    it(`reads ${name} the same way from JSON and from XML`, () => {
      const fixture = SCG_FIXTURES[name]
      const fromJson = parseScgDelivery(JSON.stringify(fixture), 'application/json; charset=UTF-8')
      const fromXml = parseScgDelivery(toXml(fixture), 'text/xml; charset=UTF-8')
      expect(fromJson.eventId).toBe(fixture['event-id'])
      expect(fromJson.attempt).toBe(1)
      expect(fromJson.kind).toBe(name.startsWith('scg-mo') ? 'mo' : 'status')
      // XML carries every value as text; the fields we act on are strings either way.
      expect(fromXml).toMatchObject({ kind: fromJson.kind, eventId: fromJson.eventId, attempt: 1 })
      if (fromJson.kind !== 'other' && fromXml.kind !== 'other') {
        const pick = (f: Record<string, unknown>) =>
          Object.fromEntries(
            [
              'new_state',
              'external_message_request_id',
              'message_request_id',
              'message_id',
              'reason_code',
              'from_address',
              'message_body',
              'sender_id_id',
            ]
              .filter((k) => k in f)
              .map((k) => [k, f[k]]),
          )
        expect(pick(fromXml.fields)).toEqual(pick(fromJson.fields))
      }
    })
  }

  it('accepts attempt as number or text and event_id with an underscore; other types are `other`', () => {
    const d = parseScgDelivery(
      JSON.stringify({ attempt: '3', event: { 'evt-tp': 'message_request_state_change' }, event_id: 'E1' }),
      undefined,
    )
    expect(d).toEqual({ kind: 'other', eventId: 'E1', attempt: 3, eventType: 'message_request_state_change' })
  })

  it('coerces numeric fields to text and treats null optional fields as absent', () => {
    const d = parseScgDelivery(
      JSON.stringify({
        'event-id': 'E2',
        event: {
          'evt-tp': 'message_state_change',
          'fld-val-list': {
            new_state: 'FAILED',
            external_message_request_id: '',
            reason_code: 1014,
            message_id: null,
          },
        },
      }),
      'application/json',
    )
    expect(d.kind === 'status' && d.fields).toMatchObject({
      reason_code: '1014',
      external_message_request_id: '',
    })
    expect(d.kind === 'status' && d.fields.message_id).toBeUndefined()
  })

  it('refuses bad bodies with the right code', () => {
    expect(codeOf(() => parseScgDelivery('nope', 'application/json'))).toBe('400 INVALID_JSON')
    expect(codeOf(() => parseScgDelivery('nope', 'application/xml'))).toBe('400 INVALID_XML')
    expect(codeOf(() => parseScgDelivery('{}', undefined))).toBe('400 VALIDATION_FAILED')
    expect(codeOf(() => parseScgDelivery('{"event":{"evt-tp":"x"}}', undefined))).toBe(
      '400 VALIDATION_FAILED',
    )
    expect(codeOf(() => parseScgDelivery('<d><event><evt-tp>x</evt-tp></event></d>', 'text/xml'))).toBe(
      '400 VALIDATION_FAILED',
    )
  })
})

describe('XML parsing', () => {
  it('recognises application/xml, text/xml and +xml only', () => {
    expect(
      ['application/xml', 'TEXT/XML; charset=utf-8', 'application/soap+xml'].map(isXmlContentType),
    ).toEqual([true, true, true])
    expect(
      ['application/json', 'text/plain', 'application/xml-dtd', undefined].map(isXmlContentType),
    ).toEqual([false, false, false, false])
  })

  it('refuses any markup declaration, even lower-case or without a DOCTYPE', () => {
    for (const doc of ['<!doctype d><d/>', '<d><!ENTITY e "x"></d>', '<d><!ATTLIST d a CDATA "x"></d>']) {
      expect(codeOf(() => parseXmlDocument(doc))).toBe('400 INVALID_XML')
    }
    expect(parseXmlDocument('<d><!-- a comment --><a>1</a></d>')).toEqual({ a: '1' })
  })

  it('refuses deep nesting as INVALID_XML (no stack overflow, no 500)', () => {
    for (const depth of [20, 40000]) {
      const deep = `${'<a>'.repeat(depth)}1${'</a>'.repeat(depth)}`
      expect(
        codeOf(() => parseXmlDocument(deep)),
        String(depth),
      ).toBe('400 INVALID_XML')
    }
  })

  it('refuses undeclared entities (never expanded) and keeps __proto__ elements harmless', () => {
    expect(codeOf(() => parseXmlDocument('<d><a>x &foo; y</a></d>'))).toBe('400 INVALID_XML')
    expect(parseXmlDocument('<d><a x="1">a &amp; b &#233;</a><a/><b><c>2</c></b></d>')).toEqual({
      a: ['a & b é', ''],
      b: { c: '2' },
    })
    const parsed = parseXmlDocument('<d><__proto__><polluted>1</polluted></__proto__></d>') as object
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })
})
