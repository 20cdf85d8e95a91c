import { describe, expect, it } from 'vitest'
import { rcsPostback } from '../providers/scg/inbound'
import { moMessageBody } from './mo'

const mo = (body: string) => ({ body, postback: rcsPostback(body) })

describe('MO message bodies', () => {
  it('upper-cases plain text when asked, never a postback', () => {
    expect(moMessageBody(mo('Yes, see you then!'), true)).toBe('YES, SEE YOU THEN!')
    expect(moMessageBody(mo('Yes, see you then!'), false)).toBe('Yes, see you then!')
    expect(moMessageBody(mo('{"postbackData":"ok_1"}'), true)).toBe('ok_1')
    expect(moMessageBody(mo('true'), true)).toBe('TRUE')
  })
})
