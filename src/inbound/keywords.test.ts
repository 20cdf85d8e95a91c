import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { DEFAULT_OPT_IN_KEYWORDS, DEFAULT_OPT_OUT_KEYWORDS } from '../config/settings'
import { foldKeyword, matchKeyword } from './keywords'

const lists = { opt_out_keywords: DEFAULT_OPT_OUT_KEYWORDS, opt_in_keywords: DEFAULT_OPT_IN_KEYWORDS }
const ALL = [...DEFAULT_OPT_OUT_KEYWORDS, ...DEFAULT_OPT_IN_KEYWORDS]

/** A keyword with random case, spaces around it and runs of whitespace between its words. */
const spelled = (word: string) =>
  fc
    .tuple(
      fc.array(fc.boolean(), { minLength: word.length, maxLength: word.length }),
      fc.constantFrom('', ' ', '\n', '\t ', '  '),
      fc.constantFrom('', ' ', '\n', ' \r\n'),
      fc.constantFrom(' ', '  ', '\t', ' \n '),
    )
    .map(([upper, before, after, inner]) => {
      const cased = [...word].map((c, i) => (upper[i] ? c.toUpperCase() : c.toLowerCase())).join('')
      return `${before}${cased.replace(/ /g, inner)}${after}`
    })

describe('keyword matcher', () => {
  it('matches a whole-body keyword whatever its case, surrounding spaces and inner whitespace', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ALL).chain((word) => spelled(word).map((body) => ({ word, body }))),
        ({ word, body }) => {
          const m = matchKeyword(body, lists)
          expect(m?.keyword).toBe(word)
          expect(m?.kind).toBe(DEFAULT_OPT_OUT_KEYWORDS.includes(word) ? 'opt_out' : 'opt_in')
        },
      ),
    )
  })

  it('any body that is not exactly a keyword once trimmed, case-folded and space-collapsed is neither', () => {
    // Bodies built around the keywords (a keyword inside a sentence, with a prefix or suffix) and any text.
    const around = fc
      .tuple(fc.string(), fc.constantFrom(...ALL), fc.string())
      .map(([a, w, b]) => `${a}${w}${b}`)
    fc.assert(
      fc.property(fc.oneof(around, fc.string(), fc.string({ unit: 'grapheme' })), (body) => {
        fc.pre(!ALL.includes(foldKeyword(body)))
        expect(matchKeyword(body, lists)).toBeUndefined()
      }),
      { numRuns: 2000 },
    )
  })

  it('phrases that merely contain a keyword are not opt-outs', () => {
    for (const body of [
      'Stop please',
      'stop sending me these',
      "don't stop",
      'STOP 12345',
      'yes please',
      'opt-out',
    ])
      expect(matchKeyword(body, lists)).toBeUndefined()
    expect(matchKeyword('  opt  \n out ', lists)).toEqual({ kind: 'opt_out', keyword: 'OPT OUT' })
    expect(matchKeyword('Start', lists)).toEqual({ kind: 'opt_in', keyword: 'START' })
  })

  it('reads the tenant lists, folded the same way; an opt-out word listed in both lists opts out', () => {
    const own = { opt_out_keywords: ['arret', ' Halt  now '], opt_in_keywords: ['ARRET', 'go'] }
    expect(matchKeyword('ARRET', own)).toEqual({ kind: 'opt_out', keyword: 'ARRET' })
    expect(matchKeyword('halt now', own)).toEqual({ kind: 'opt_out', keyword: 'HALT NOW' })
    expect(matchKeyword('Go', own)).toEqual({ kind: 'opt_in', keyword: 'GO' })
    expect(matchKeyword('STOP', own)).toBeUndefined()
    expect(matchKeyword('   ', own)).toBeUndefined()
  })
})
