import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { GSM7_BASIC, GSM7_EXTENSION, segmentsOf } from './segments'

const a = (n: number) => 'a'.repeat(n)
const zh = (n: number) => '中'.repeat(n)

describe('segmentsOf', () => {
  it('an empty body still costs one GSM-7 segment', () => {
    expect(segmentsOf('')).toEqual({ encoding: 'GSM-7', units: 0, segments: 1 })
  })

  it('holds the basic table (127 characters, escape excluded) and the extension table', () => {
    expect(GSM7_BASIC.length).toBe(127)
    expect(new Set(GSM7_BASIC).size).toBe(127)
    expect(segmentsOf(GSM7_BASIC)).toEqual({ encoding: 'GSM-7', units: 127, segments: 1 })
    expect(segmentsOf(GSM7_EXTENSION)).toEqual({ encoding: 'GSM-7', units: 20, segments: 1 })
    expect(segmentsOf('¤§¡¿ÇΔ')).toMatchObject({ encoding: 'GSM-7', units: 6 })
  })

  it('GSM-7: 160 septets in one part, then parts of 153', () => {
    expect(segmentsOf(a(160))).toEqual({ encoding: 'GSM-7', units: 160, segments: 1 })
    expect(segmentsOf(a(161))).toEqual({ encoding: 'GSM-7', units: 161, segments: 2 })
    expect(segmentsOf(a(306))).toEqual({ encoding: 'GSM-7', units: 306, segments: 2 })
    expect(segmentsOf(a(307))).toEqual({ encoding: 'GSM-7', units: 307, segments: 3 })
  })

  it('extension characters cost two septets', () => {
    expect(segmentsOf('€')).toEqual({ encoding: 'GSM-7', units: 2, segments: 1 })
    expect(segmentsOf(`${a(158)}{`)).toEqual({ encoding: 'GSM-7', units: 160, segments: 1 })
    expect(segmentsOf(`${a(159)}{`)).toEqual({ encoding: 'GSM-7', units: 161, segments: 2 })
  })

  it('never splits an escape pair across the 153 boundary', () => {
    // 152 + 2 would straddle septet 153: the € moves whole into part two.
    expect(segmentsOf(`${a(152)}€${a(10)}`)).toEqual({ encoding: 'GSM-7', units: 164, segments: 2 })
    // 306 septets divide into exactly 2 × 153, but the € cannot straddle, so a third part is needed.
    expect(segmentsOf(`${a(152)}€${a(152)}`)).toEqual({ encoding: 'GSM-7', units: 306, segments: 3 })
    expect(segmentsOf(`${a(151)}€${a(153)}`)).toEqual({ encoding: 'GSM-7', units: 306, segments: 2 })
  })

  it('UCS-2: 70 units in one part, then parts of 67', () => {
    expect(segmentsOf(zh(70))).toEqual({ encoding: 'UCS-2', units: 70, segments: 1 })
    expect(segmentsOf(zh(71))).toEqual({ encoding: 'UCS-2', units: 71, segments: 2 })
    expect(segmentsOf(zh(134))).toEqual({ encoding: 'UCS-2', units: 134, segments: 2 })
    expect(segmentsOf(zh(135))).toEqual({ encoding: 'UCS-2', units: 135, segments: 3 })
  })

  it('never splits a surrogate pair across the 67 boundary', () => {
    expect(segmentsOf('😀'.repeat(35))).toEqual({ encoding: 'UCS-2', units: 70, segments: 1 })
    // 66 units, then an emoji that would straddle unit 67: it moves whole into part two.
    expect(segmentsOf(`${zh(66)}😀${zh(66)}`)).toEqual({ encoding: 'UCS-2', units: 134, segments: 3 })
    expect(segmentsOf(`${zh(65)}😀${zh(67)}`)).toEqual({ encoding: 'UCS-2', units: 134, segments: 2 })
    // Only 33 emoji (66 units) fit a part: 134 units need three parts, not two.
    expect(segmentsOf('😀'.repeat(36))).toEqual({ encoding: 'UCS-2', units: 72, segments: 2 })
    expect(segmentsOf('😀'.repeat(67))).toEqual({ encoding: 'UCS-2', units: 134, segments: 3 })
  })

  it('one character outside GSM-7 switches the whole body to UCS-2', () => {
    for (const ch of ['ç', '`', '😀', '中', '\u001b', 'Ä'.normalize('NFD')]) {
      expect(segmentsOf(`${a(100)}${ch}`).encoding).toBe('UCS-2')
    }
    expect(segmentsOf(`${a(69)}ç`)).toEqual({ encoding: 'UCS-2', units: 70, segments: 1 })
    expect(segmentsOf(`${a(100)}ç`)).toEqual({ encoding: 'UCS-2', units: 101, segments: 2 })
    expect(segmentsOf(`${a(100)}😀`)).toEqual({ encoding: 'UCS-2', units: 102, segments: 2 })
  })
})

describe('segmentsOf properties', () => {
  const gsmChar = fc.constantFrom(...GSM7_BASIC, ...GSM7_EXTENSION)
  const anyChar = fc.oneof(gsmChar, fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }))
  const ceil = (n: number, d: number) => Math.ceil(n / d)

  it('appending a character never lowers the segment count', () => {
    fc.assert(
      fc.property(fc.string({ unit: anyChar, maxLength: 400 }), anyChar, (body, ch) => {
        expect(segmentsOf(body + ch).segments).toBeGreaterThanOrEqual(segmentsOf(body).segments)
      }),
    )
  })

  it('a GSM-7 body fills each part with at least 152 of its 153 septets', () => {
    fc.assert(
      fc.property(fc.string({ unit: gsmChar, maxLength: 700 }), (body) => {
        const r = segmentsOf(body)
        expect(r.encoding).toBe('GSM-7')
        if (r.units <= 160) expect(r.segments).toBe(1)
        else {
          expect(r.segments).toBeGreaterThanOrEqual(ceil(r.units, 153))
          expect(r.segments).toBeLessThanOrEqual(ceil(r.units, 152))
        }
      }),
    )
  })
})
