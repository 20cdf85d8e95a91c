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
