/**
 * Redaction of a vendor's error text against what we sent it (docs/storage.md, "Provider error text"):
 * a vendor may echo any part of the message body or the recipient, quoted or not.
 */

/**
 * `+14155550123` → `+1415*****23`: enough to correlate, not enough to identify. A shorter number (a
 * national or short code) shows its last 2 characters only, so no number shows more than its prefix and
 * last 2 digits, and one too short to keep a prefix hidden shows no prefix at all.
 */
export function maskPhone(value: string | undefined | null): string | undefined {
  if (!value) return undefined
  const chars = [...value]
  const tail = chars.length >= 5 ? 2 : 0
  const head = chars.length >= 12 ? 5 : 0
  return `${chars.slice(0, head).join('')}${'*'.repeat(chars.length - head - tail)}${chars.slice(chars.length - tail).join('')}`
}

/** What a provider was sent, as far as its error text may echo it. */
export interface SentMessage {
  /** The message text as sent. */
  body: string
  /** The recipient as sent (and as a phone number); only their digits are compared. */
  to: readonly (string | undefined)[]
}

/** The shortest run of the body's characters that is dropped from an error text. */
export const BODY_RUN = 5
/** The shortest run of the recipient's digits that is masked in an error text. */
export const NUMBER_RUN = 3

const GAP = '\u2026'

/** Lower-cased, one character at a time (a character whose lower case is longer is kept as is). */
const lower = (c: string) => {
  const l = c.toLowerCase()
  return l.length === c.length ? l : c
}

/**
 * The text with every run of `BODY_RUN` or more characters that also occurs in `body` replaced by `…`.
 * Compared case-insensitively, any run of whitespace counting as one space on both sides.
 */
export function dropBodyRuns(text: string, body: string): string {
  const normalBody = [...body.replace(/\s+/g, ' ')].map(lower).join('')
  if (normalBody.length < BODY_RUN) return text
  const grams = new Set<string>()
  for (let i = 0; i + BODY_RUN <= normalBody.length; i++) grams.add(normalBody.slice(i, i + BODY_RUN))
  // The text normalised the same way, each normalised character remembering its span in `text`.
  const chars: string[] = []
  const spans: [number, number][] = []
  for (const m of text.matchAll(/\s+|[\s\S]/g)) {
    const isSpace = /^\s+$/.test(m[0])
    chars.push(isSpace ? ' ' : lower(m[0]))
    spans.push([m.index, m.index + m[0].length])
  }
  const covered = new Array<boolean>(chars.length).fill(false)
  for (let i = 0; i + BODY_RUN <= chars.length; i++) {
    if (grams.has(chars.slice(i, i + BODY_RUN).join(''))) covered.fill(true, i, i + BODY_RUN)
  }
  let out = ''
  for (let i = 0; i < chars.length; i++) {
    const [from, to] = spans[i] as [number, number]
    if (!covered[i]) out += text.slice(from, to)
    else if (i === 0 || !covered[i - 1]) out += GAP
  }
  return out
}

/**
 * The text with every number-like run (digits with the usual separators, any length) that shares
 * `NUMBER_RUN` or more consecutive digits with a recipient masked like `maskPhone`: it then shows no
 * more than the stored `recipient_masked` does (`+1415*****23`; a fragment such as `415` or `5550123`
 * shows at most its last two digits).
 */
export function maskRecipient(text: string, to: readonly (string | undefined)[]): string {
  const recipients = to.map((t) => (t ?? '').replace(/\D/g, '')).filter((d) => d.length >= NUMBER_RUN)
  if (recipients.length === 0) return text
  const shares = (digits: string) => {
    for (let i = 0; i + NUMBER_RUN <= digits.length; i++) {
      const part = digits.slice(i, i + NUMBER_RUN)
      if (recipients.some((r) => r.includes(part))) return true
    }
    return false
  }
  return text.replace(/\+?\d(?:[\d\s().-]*\d)?/g, (run) => {
    const digits = run.replace(/\D/g, '')
    if (digits.length < NUMBER_RUN || !shares(digits)) return run
    return maskPhone(run.startsWith('+') ? `+${digits}` : digits) ?? ''
  })
}

/** Both of the above: no more of the recipient's number than its masked form, and no run of the body. */
export const redactSent = (text: string, sent: SentMessage): string =>
  dropBodyRuns(maskRecipient(text, sent.to), sent.body)

/** Every run of 6+ digits (with the usual separators) in free text, masked like `maskPhone`. */
export const maskNumbers = (text: string): string =>
  text.replace(/\+?\d[\d\s().-]{4,}\d/g, (m) => maskPhone(m.replace(/[\s().-]/g, '')) ?? '')

/**
 * A vendor's error text as we may store and answer it: vendors quote the recipient and the message
 * text ("… '+14155550123' …", "… \"Hello\" …"), so quoted passages are dropped and numbers masked.
 * With `sent` (what the vendor was sent), unquoted echoes go too: every part of the recipient's number
 * and every run of the body (above; docs/storage.md "Provider error text").
 */
export const redactProviderText = (text: string, sent?: SentMessage): string => {
  const unquoted = text.replace(/'[^']*'|"[^"]*"|\u201c[^\u201d]*\u201d|\u2018[^\u2019]*\u2019/g, '\u2026')
  return maskNumbers(sent ? redactSent(unquoted, sent) : unquoted)
}
