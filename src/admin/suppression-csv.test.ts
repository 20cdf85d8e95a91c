import { describe, expect, it } from 'vitest'
import { csvCell, exportLine, parseImport, splitLine } from './suppression-csv'

describe('opt-out CSV', () => {
  it('splits quoted fields with commas and doubled quotes, and refuses an unclosed quote', () => {
    expect(splitLine('+15550001001, sms , "moved, said ""stop"""')).toEqual([
      '+15550001001',
      'sms',
      'moved, said "stop"',
    ])
    expect(splitLine('a,,')).toEqual(['a', '', ''])
    expect(splitLine('a,"b')).toBeUndefined()
  })

  it('numbers lines from 1 with the header, skips blank lines and reads a header’s column order', () => {
    expect(parseImport('reason,address\r\n\r\nx,+15550001001\r\n+15550001002,y\r\n')).toEqual({
      valid: [{ line: 3, address: '+15550001001', channel: 'sms', sender: '', reason: 'x' }],
      rejected: [{ line: 4, reason: expect.stringContaining('E.164') }],
    })
    expect(parseImport('address,phone\n+15550001001\n').rejected).toEqual([
      { line: 1, reason: expect.stringContaining('header') },
    ])
    const named = parseImport('address,sender,channel\n+15550001001,channel:A,whatsapp\n\n+1,sms\n')
    expect(named).toEqual({
      valid: [{ line: 2, address: '+15550001001', channel: 'whatsapp', sender: 'channel:A', reason: null }],
      rejected: [{ line: 4, reason: expect.stringContaining('E.164') }],
    })
  })

  it('guards formulas except E.164 numbers, and quotes what needs it', () => {
    expect(csvCell('=1+2')).toBe("'=1+2")
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)")
    expect(csvCell('-2')).toBe("'-2")
    expect(csvCell('+15550001001')).toBe('+15550001001')
    expect(csvCell('+cmd|x')).toBe("'+cmd|x")
    expect(csvCell('a "b", c')).toBe('"a ""b"", c"')
    expect(csvCell(null)).toBe('')
    expect(
      exportLine({
        tenant_id: 't',
        address: '+15550001001',
        channel: 'sms',
        sender: '',
        source: 'keyword',
        keyword: 'STOP',
        reason: null,
        evidence: null,
        created_at: 0,
      }),
    ).toBe('+15550001001,sms,,keyword,STOP,1970-01-01T00:00:00.000Z')
  })
})
