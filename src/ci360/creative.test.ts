import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { CHANNELS, parseCreative } from './creative'

const ok = (content: string) => {
  const r = parseCreative(content)
  if (!r.ok) throw new Error(`expected a creative, got ${r.error.field}: ${r.error.message}`)
  return r.value
}

describe('parseCreative', () => {
  it('reads the README layout (one header per line), which the seed parser gets wrong', () => {
    const c = ok(
      'TO:+14155550123;\nFROM:channel:aaaweFWFAaefAEFaefaw;\nCHANNEL:MMS;\nMEDIA_URLS:https://x.example/logo.jpg;\nHi Ana, thanks!',
    )
    expect(c).toEqual({
      to: '+14155550123',
      from: 'channel:aaaweFWFAaefAEFaefaw',
      channel: 'MMS',
      mediaUrls: ['https://x.example/logo.jpg'],
      body: 'Hi Ana, thanks!',
      warnings: [],
    })
  })

  it('handles CRLF and lone CR line endings', () => {
    expect(ok('TO:+1555;\r\nFROM:channel:x;\r\nHello\r\nthere')).toMatchObject({
      from: 'channel:x',
      body: 'Hello\nthere',
    })
    expect(ok('TO:+1555;\rFROM:channel:x;\rHello')).toMatchObject({ from: 'channel:x', body: 'Hello' })
  })

  it('accepts lower-case keys and trims spaces around keys and values', () => {
    expect(ok('  to :  +1555 ; from: channel:x ;Hi')).toMatchObject({
      to: '+1555',
      from: 'channel:x',
      body: 'Hi',
    })
  })

  it('keeps ; and : inside the body', () => {
    expect(ok('TO:+1555;Hi Jane; your code is 1234: see https://a.b/c').body).toBe(
      'Hi Jane; your code is 1234: see https://a.b/c',
    )
  })

  it('drops one trailing ; after the body but keeps ;;', () => {
    expect(ok('TO:+1555;Hello;').body).toBe('Hello')
    expect(ok('TO:+1555;Hello;;').body).toBe('Hello;;')
  })

  it('reads MEDIAL_URLS as MEDIA_URLS with a warning, and several URLs split on commas and spaces', () => {
    const c = ok(
      'TO:+1555;MEDIAL_URLS:https://a.example/1.jpg, https://a.example/2.jpg https://a.example/3.png;Look',
    )
    expect(c.mediaUrls).toEqual([
      'https://a.example/1.jpg',
      'https://a.example/2.jpg',
      'https://a.example/3.png',
    ])
    expect(c.warnings).toEqual(['MEDIAL_URLS is read as MEDIA_URLS'])
  })

  it('starts the body at a key seen a second time', () => {
    expect(ok('TO:+1555;To: the team; see you').body).toBe('To: the team; see you')
  })

  it('normalises CHANNEL case and rejects unknown channels', () => {
    expect(ok('TO:+1555;CHANNEL:WhatsApp;Hi').channel).toBe('WHATSAPP')
    expect(parseCreative('TO:+1555;CHANNEL:Pigeon;Hi')).toMatchObject({
      ok: false,
      error: { field: 'CHANNEL' },
    })
  })

  it('rejects a missing TO, an empty TO, an empty body and non-URL media', () => {
    expect(parseCreative('Hello')).toMatchObject({ ok: false, error: { field: 'TO' } })
    expect(parseCreative('TO: ;Hello')).toMatchObject({ ok: false, error: { field: 'TO' } })
    expect(parseCreative('TO:+1555;')).toMatchObject({ ok: false, error: { field: 'body' } })
    expect(parseCreative('TO:+1555;  ;')).toMatchObject({ ok: false, error: { field: 'body' } })
    expect(parseCreative('TO:+1555;MEDIA_URLS:ftp://x;Hi')).toMatchObject({
      ok: false,
      error: { field: 'MEDIA_URLS' },
    })
  })

  it('never throws, whatever the input', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 400 }), (s) => {
        const r = parseCreative(s)
        expect(typeof r.ok).toBe('boolean')
      }),
      { numRuns: 2000 },
    )
    const headerish = fc.array(
      fc.constantFrom(
        'TO',
        'to',
        'FROM',
        'CHANNEL',
        'MEDIA_URLS',
        'MEDIAL_URLS',
        ':',
        ';',
        '\n',
        '\r\n',
        ' ',
        'x',
        '+1',
        'http://a',
      ),
      { maxLength: 40 },
    )
    fc.assert(
      fc.property(headerish, (parts) => void parseCreative(parts.join(''))),
      { numRuns: 2000 },
    )
  })

  it('round-trips well-formed creatives in any layout', () => {
    const value = fc.stringMatching(/^[A-Za-z0-9+@_.:/-]{1,20}$/)
    const url = fc.stringMatching(/^[a-z0-9]{1,8}$/).map((s) => `https://cdn.example.com/${s}.jpg`)
    const body = fc
      .string({ minLength: 1, maxLength: 80 })
      .map((s) => s.trim())
      .filter(
        (s) =>
          s !== '' &&
          !s.endsWith(';') &&
          !/^\s*(TO|FROM|CHANNEL|MEDIA_URLS|MEDIAL_URLS)\s*:/i.test(s) &&
          !/\r/.test(s),
      )
    const creative = fc.record({
      to: value,
      from: fc.option(value, { nil: undefined }),
      channel: fc.option(fc.constantFrom(...CHANNELS), { nil: undefined }),
      media: fc.array(url, { maxLength: 3 }),
      body,
      sep: fc.constantFrom('', '\n', '\r\n', ' \n'),
      lower: fc.boolean(),
      mediaKey: fc.constantFrom('MEDIA_URLS', 'MEDIAL_URLS'),
    })
    fc.assert(
      fc.property(creative, (c) => {
        const key = (k: string) => (c.lower ? k.toLowerCase() : k)
        const headers = [`${key('TO')}:${c.to};`]
        if (c.from) headers.push(`${key('FROM')}: ${c.from} ;`)
        if (c.channel) headers.push(`${key('CHANNEL')}:${c.channel.toLowerCase()};`)
        if (c.media.length) headers.push(`${key(c.mediaKey)}:${c.media.join(', ')};`)
        const parsed = ok(`${headers.join(c.sep)}${c.sep}${c.body}`)
        expect(parsed.to).toBe(c.to)
        expect(parsed.from).toBe(c.from)
        expect(parsed.channel).toBe(c.channel)
        expect(parsed.mediaUrls).toEqual(c.media)
        expect(parsed.body).toBe(c.body)
      }),
      { numRuns: 1000 },
    )
  })
})
