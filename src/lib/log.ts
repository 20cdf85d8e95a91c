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

export { maskNumbers, maskPhone, redactProviderText } from './redact'

/** Describe an unknown thrown value without leaking request data: name and message only. */
export function describeError(e: unknown): { error_name: string; error_message: string } {
  if (e instanceof Error) return { error_name: e.name, error_message: e.message.slice(0, 300) }
  return { error_name: typeof e, error_message: 'non-error thrown' }
}
