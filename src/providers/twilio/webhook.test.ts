import { describe, expect, it } from 'vitest'
import { mediaUrlsOf, responseEventName } from './inbound'
import { parseFormBody, parseJsonParams } from './webhook'

describe('Twilio webhook parsing', () => {
  it('decodes a form, keeping every value of a repeated name', () => {
    const p = parseFormBody('Body=Hi+there%21&MediaUrl=a&MediaUrl=b&Empty=&Flag&From=%2B1415')
    expect({ ...p }).toEqual({ Body: 'Hi there!', MediaUrl: ['a', 'b'], Empty: '', Flag: '', From: '+1415' })
    expect(Object.getPrototypeOf(parseFormBody('__proto__=x'))).toBeNull()
  })

  it('refuses malformed escapes with 400 VALIDATION_FAILED', () => {
    for (const bad of ['Body=%ZZ', 'Body=%E2%82', 'A%=1']) {
      expect(() => parseFormBody(bad)).toThrow(
        expect.objectContaining({ code: 'VALIDATION_FAILED', httpStatus: 400 }),
      )
    }
  })

  it('reads a JSON body as text parameters; anything but an object is INVALID_JSON', () => {
    expect({
      ...parseJsonParams('{"MessageSid":"SM1","NumMedia":2,"Ok":true,"List":[1,"a"],"Nested":{}}'),
    }).toEqual({
      MessageSid: 'SM1',
      NumMedia: '2',
      Ok: 'true',
      List: ['1', 'a'],
    })
    for (const bad of ['[1]', 'null', '{']) {
      expect(() => parseJsonParams(bad)).toThrow(expect.objectContaining({ code: 'INVALID_JSON' }))
    }
  })

  it('maps a status to its event name, in any case, and never to an inherited property', () => {
    const events = { delivered: 'D', FAILED: 'F' }
    expect(responseEventName(events, 'delivered')).toBe('D')
    expect(responseEventName(events, 'failed')).toBe('F')
    expect(responseEventName(events, 'read')).toBeUndefined()
    expect(responseEventName(events, '__proto__')).toBeUndefined()
    expect(responseEventName(events, 'constructor')).toBeUndefined()
  })

  it('joins MediaUrl0..N-1 with commas, skipping absent ones', () => {
    expect(mediaUrlsOf({ MediaUrl0: 'https://a', MediaUrl1: ' https://b ', MediaUrl3: 'https://d' }, 3)).toBe(
      'https://a,https://b',
    )
    expect(mediaUrlsOf({ MediaUrl0: 'https://a' }, 0)).toBeUndefined()
  })
})
