import { describe, expect, it } from 'vitest'
import { moMessageBody, rcsPostback } from './mo'

describe('MO message bodies', () => {
  it('takes postbackData only from an object with a string postbackData', () => {
    expect(rcsPostback('{"postbackData":"CONFIRM_BOOKING_7731"}')).toBe('CONFIRM_BOOKING_7731')
    expect(rcsPostback(' {"postbackData":"", "text":"x"} ')).toBe('')
    for (const plain of [
      '1',
      '42',
      'true',
      'null',
      'NaN',
      '[1]',
      '"hi"',
      '{"text":"x"}',
      '{"postbackData":1}',
      '{',
      '',
    ]) {
      expect(rcsPostback(plain), plain).toBeUndefined()
    }
  })

  it('upper-cases plain text when asked, never a postback', () => {
    expect(moMessageBody('Yes, see you then!', true)).toBe('YES, SEE YOU THEN!')
    expect(moMessageBody('Yes, see you then!', false)).toBe('Yes, see you then!')
    expect(moMessageBody('{"postbackData":"ok_1"}', true)).toBe('ok_1')
    expect(moMessageBody('true', true)).toBe('TRUE')
  })
})
