import { err, ok, type Result } from '../lib/result'
import { CHANNELS, type Channel } from '../lib/vocabulary'

/** CHANNEL values a creative may name (docs/protocols.md, "CI360"), kept with the vocabulary. */
export { CHANNELS, type Channel }

/** A parsed Plain Text creative. */
export interface Creative {
  to: string
  from?: string
  channel?: Channel
  mediaUrls: string[]
  body: string
  /** Non-fatal notes, e.g. the `MEDIAL_URLS` typo was used. */
  warnings: string[]
}

export interface CreativeProblem {
  field: 'TO' | 'FROM' | 'CHANNEL' | 'MEDIA_URLS' | 'body'
  message: string
}

type HeaderKey = 'TO' | 'FROM' | 'CHANNEL' | 'MEDIA_URLS'
const HEADER = /^\s*(TO|FROM|CHANNEL|MEDIA_URLS|MEDIAL_URLS)\s*:([\s\S]*)$/i

/**
 * Parse the CI360 Plain Text creative (`KEY:value;` headers, then the body), fixing the seed parsers'
 * bugs: keys and values are trimmed (so the README's one-header-per-line layout works, with LF or
 * CRLF), `MEDIAL_URLS` is accepted as an alias, `;` and `:` inside the body are kept, a trailing `;`
 * after the body is dropped, and several media URLs are allowed. A key seen a second time is not a
 * header: the body starts there. Never throws.
 */
export function parseCreative(content: string): Result<Creative, CreativeProblem> {
  const text = content.replace(/\r\n?/g, '\n')
  const headers: Partial<Record<HeaderKey, string>> = {}
  const warnings: string[] = []
  let pos = 0
  for (;;) {
    const end = text.indexOf(';', pos)
    if (end === -1) break
    const match = HEADER.exec(text.slice(pos, end))
    if (!match) break
    const rawKey = (match[1] as string).toUpperCase()
    const key: HeaderKey = rawKey === 'MEDIAL_URLS' ? 'MEDIA_URLS' : (rawKey as HeaderKey)
    if (headers[key] !== undefined) break
    if (rawKey === 'MEDIAL_URLS') warnings.push('MEDIAL_URLS is read as MEDIA_URLS')
    headers[key] = (match[2] as string).trim()
    pos = end + 1
  }

  let body = text.slice(pos).trim()
  if (body.endsWith(';') && !body.endsWith(';;')) body = body.slice(0, -1).trim()

  const to = headers.TO
  if (!to) return err({ field: 'TO', message: 'The creative has no TO header (expected "TO:<recipient>;").' })
  if (body === '')
    return err({ field: 'body', message: 'The creative has no message body after its headers.' })

  let channel: Channel | undefined
  if (headers.CHANNEL) {
    const upper = headers.CHANNEL.toUpperCase()
    if (!(CHANNELS as readonly string[]).includes(upper)) {
      return err({ field: 'CHANNEL', message: `CHANNEL must be one of ${CHANNELS.join(', ')}.` })
    }
    channel = upper as Channel
  }

  const mediaUrls = (headers.MEDIA_URLS ?? '').split(/[\s,]+/).filter((u) => u !== '')
  for (const u of mediaUrls) {
    if (!/^https?:\/\/\S+$/i.test(u)) {
      return err({
        field: 'MEDIA_URLS',
        message: 'MEDIA_URLS must be http(s) URLs separated by commas or spaces.',
      })
    }
  }

  const creative: Creative = { to, mediaUrls, body, warnings }
  if (headers.FROM) creative.from = headers.FROM
  if (channel) creative.channel = channel
  return ok(creative)
}
