import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { filenameProblem } from './filename'

describe('filenameProblem', () => {
  it('accepts relative names, unicode, spaces and dots inside segments', () => {
    for (const name of [
      'a.csv',
      'exports/2026/run 1.csv',
      'naïve/€.csv.gz',
      '..hidden',
      'a..b/c',
      'x/.profile',
      'a//b.csv',
      'x///y.csv',
    ]) {
      expect(filenameProblem(name), name).toBeUndefined()
    }
  })

  it('refuses absolute names, dot segments, backslashes, control characters and long names', () => {
    expect(filenameProblem('')).toBe('must not be empty')
    expect(filenameProblem('/abs.csv')).toMatch(/relative/)
    for (const name of ['..', '../x', 'a/../b', 'a/..', '.', './a', 'a/./b']) {
      expect(filenameProblem(name), name).toMatch(/\. or \.\./)
    }
    expect(filenameProblem('a\\b')).toMatch(/backslash/)
    for (const c of ['\u0000', '\t', '\r', '\u001f', '\u007f', '\u0085']) {
      expect(filenameProblem(`a${c}b`)).toMatch(/control/)
    }
    expect(filenameProblem('x'.repeat(1024))).toBeUndefined()
    expect(filenameProblem('x'.repeat(1025))).toMatch(/1024 bytes/)
    expect(filenameProblem('€'.repeat(342))).toMatch(/1024 bytes/)
  })
})

describe('filenameProblem, property-based', () => {
  /** Segments mixing plain text, astral characters, lone surrogates and long runs (over 255 bytes). */
  const segment = fc.oneof(
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 12 }),
    fc.constantFrom('\uD800', '\uDBFF', '\uDC00', '\uDFFF', 'a\uD83Db', '\uDE00x'),
    fc.integer({ min: 200, max: 400 }).map((n) => 'L'.repeat(n)),
  )
  const name = fc.array(segment, { minLength: 1, maxLength: 4 }).map((parts) => parts.join('/'))

  it('a name it accepts always encodes into an S3 URL path', () => {
    fc.assert(
      fc.property(name, (n) => {
        if (filenameProblem(n) !== undefined) return
        for (const part of n.split('/')) expect(() => encodeURIComponent(part)).not.toThrow()
      }),
      { numRuns: 500 },
    )
  })

  /** Text that passes every other check: letters, accents, an emoji (a valid surrogate pair), spaces. */
  const safeText = fc.string({
    unit: fc.constantFrom('a', 'Z', 'é', '€', '-', '_', ' ', '😀'),
    maxLength: 20,
  })

  it('refuses every name with a lone surrogate, and only for that when the rest is fine', () => {
    fc.assert(
      fc.property(safeText, fc.constantFrom('\uD800', '\uDC00', '\uDBFF'), (a, lone) => {
        const n = `x${a}${lone}.csv`
        expect(filenameProblem(n)).toBe('must be well-formed Unicode text (no lone surrogates)')
      }),
    )
  })

  it('accepts long segments (S3 allows them) as long as the whole name fits in 1,024 bytes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 256, max: 1000 }), (n) => {
        expect(filenameProblem(`dir/${'s'.repeat(n)}`)).toBe(
          n + 4 <= 1024 ? undefined : 'must be at most 1024 bytes',
        )
      }),
    )
  })
})
