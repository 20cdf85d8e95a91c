import { maskPhone, redactSent, type SentMessage } from './redact'
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent'
type Fields = Record<string, unknown>

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 }

/**
 * One JSON object per line. Callers pass ids, codes and statuses only: never bodies, tokens or full
 * phone numbers (use `maskPhone`).
 */
export interface Logger {
  debug(msg: string, fields?: Fields): void
  info(msg: string, fields?: Fields): void
  warn(msg: string, fields?: Fields): void
  error(msg: string, fields?: Fields): void
  child(fields: Fields): Logger
}

export function createLogger(level: LogLevel = 'info', base: Fields = {}): Logger {
  const emit = (lvl: Exclude<LogLevel, 'silent'>, msg: string, fields?: Fields) => {
    if (ORDER[lvl] < ORDER[level]) return
    const line = JSON.stringify({ ts: new Date().toISOString(), level: lvl, msg, ...base, ...fields })
    if (lvl === 'error') console.error(line)
    else if (lvl === 'warn') console.warn(line)
    else console.log(line)
  }
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (fields) => createLogger(level, { ...base, ...fields }),
  }
}

export { maskPhone }

/** Every run of 6+ digits (with the usual separators) in free text, masked like `maskPhone`. */
export const maskNumbers = (text: string): string =>
  text.replace(/\+?\d[\d\s().-]{4,}\d/g, (m) => maskPhone(m.replace(/[\s().-]/g, '')) ?? '')

/**
 * A vendor's error text as we may store and answer it: vendors quote the recipient and the message
 * text ("… '+14155550123' …", "… \"Hello\" …"), so quoted passages are dropped and numbers masked.
 * With `sent` (what the vendor was sent), unquoted echoes go too: every part of the recipient's number
 * and every run of the body (`lib/redact.ts`, docs/storage.md "Provider error text").
 */
export const redactProviderText = (text: string, sent?: SentMessage): string => {
  const unquoted = text.replace(/'[^']*'|"[^"]*"|\u201c[^\u201d]*\u201d|\u2018[^\u2019]*\u2019/g, '\u2026')
  return maskNumbers(sent ? redactSent(unquoted, sent) : unquoted)
}

/** Describe an unknown thrown value without leaking request data: name and message only. */
export function describeError(e: unknown): { error_name: string; error_message: string } {
  if (e instanceof Error) return { error_name: e.name, error_message: e.message.slice(0, 300) }
  return { error_name: typeof e, error_message: 'non-error thrown' }
}
