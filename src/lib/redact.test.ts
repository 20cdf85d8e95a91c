import { describe, expect, it } from 'vitest'
import { redactProviderText } from './log'
import { dropBodyRuns, maskRecipient } from './redact'

const sent = {
  body: 'Hi Dana, your table for 2 at Harbor Grill is confirmed for Friday 7:30pm.',
  to: ['+14155550123'],
}

describe('redaction against what was sent', () => {
  it('drops every run of 5+ characters of the body, case and spacing aside', () => {
    expect(dropBodyRuns('Blocked: HARBOR  grill matched', sent.body)).toBe('Blocked:\u2026matched')
    expect(dropBodyRuns('Invalid sender id', sent.body)).toBe('Invalid sender id')
  })

  it('keeps runs shorter than 5 characters of the body', () => {
    expect(dropBodyRuns('Dana? no', sent.body)).toBe('Dana? no')
  })

  it('masks any number sharing 3+ digits with the recipient, down to its last two digits', () => {
    expect(maskRecipient('to 415-555-0123 (area 415), code 21211; +14155550123', sent.to)).toBe(
      'to ********23 (area ***), code 21211; +1415*****23',
    )
  })

  it('the provider text: quotes dropped, the recipient masked, body runs dropped, other numbers masked', () => {
    expect(redactProviderText(`'x' Harbor Grill rejected for 4155550123; ticket 9876543210`, sent)).toBe(
      '\u2026\u2026reject\u2026********23; ticket ********10',
    ) // "ed for" is in the body too
  })
})
