import { describe, expect, it } from 'vitest'
import { rcsPostback } from './inbound'

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
})
