import { describe, expect, it } from 'vitest'
import { parseContentRange } from './source'
import { xmlEscape, xmlText } from './xml'

describe('xmlText / xmlEscape', () => {
  it('reads the elements S3 answers with, unescaping entities', () => {
    const init =
      '<?xml version="1.0"?><InitiateMultipartUploadResult><Bucket>b</Bucket><UploadId>a&amp;b~1</UploadId></InitiateMultipartUploadResult>'
    expect(xmlText(init, 'UploadId')).toBe('a&b~1')
    const error = '<Error><Code>SignatureDoesNotMatch</Code><Message>…</Message></Error>'
    expect(xmlText(error, 'Code')).toBe('SignatureDoesNotMatch')
    expect(xmlText(error, 'UploadId')).toBeUndefined()
  })

  it('escapes text content but leaves the quotes of an ETag alone', () => {
    expect(xmlEscape('"abc"<&>')).toBe('"abc"&lt;&amp;&gt;')
  })
})

describe('parseContentRange', () => {
  it('reads ranges, totals and the empty-file form', () => {
    expect(parseContentRange('bytes 0-0/1234')).toEqual({ start: 0, end: 0, total: 1234 })
    expect(parseContentRange('bytes 5-9/*')).toEqual({ start: 5, end: 9, total: undefined })
    expect(parseContentRange('bytes */0')).toEqual({ start: undefined, end: undefined, total: 0 })
    expect(parseContentRange(null)).toBeUndefined()
    expect(parseContentRange('items 0-1/2')).toBeUndefined()
  })
})
