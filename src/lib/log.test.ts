import { describe, expect, it } from 'vitest'
import { maskPhone, redactProviderText } from './log'

describe('maskPhone', () => {
  it('shows at most the last 2 digits of a short number, whatever its length', () => {
    expect(maskPhone('5550177')).toBe('*****77')
    expect(maskPhone('55501770')).toBe('******70')
    expect(maskPhone('+5550177')).toBe('******77')
    for (let n = 1; n <= 11; n++) {
      const digits = '9876543210987'.slice(0, n)
      const masked = maskPhone(digits) ?? ''
      expect(masked).toHaveLength(n)
      expect(masked.replace(/\*/g, '').length).toBeLessThanOrEqual(2)
    }
  })

  it('keeps the country and area prefix of a full international number', () => {
    expect(maskPhone('+14155550123')).toBe('+1415*****23')
    expect(maskPhone('+447700900456')).toBe('+4477******56')
  })
})

describe('redactProviderText', () => {
  it('drops quoted passages and masks numbers, keeping codes', () => {
    expect(redactProviderText(`The 'To' number +14155550123 is invalid (21211): "hi there"`)).toBe(
      'The … number +1415*****23 is invalid (21211): …',
    )
  })
})
