import { base64UrlEncodeText } from './crypto'

/**
 * Page cursors: opaque to clients, a prefixed text base64url-encoded without padding. Each list has its
 * own prefix and reader, so a cursor made by one list is refused by another.
 */
export interface CursorCodec<T> {
  encode(value: T): string
  /** The value, or undefined for any text this codec did not write. */
  decode(cursor: string): T | undefined
}

export interface CursorFormat<T> {
  /** Versions the format: `v1:`, `m1:`. */
  prefix: string
  /** The longest cursor accepted, in characters. */
  maxLength: number
  write(value: T): string
  /** The value of a written text, or undefined; may throw on malformed text (`decodeURIComponent`). */
  read(text: string): T | undefined
}

export function cursorCodec<T>(format: CursorFormat<T>): CursorCodec<T> {
  const shape = new RegExp(`^[A-Za-z0-9_-]{1,${format.maxLength}}$`)
  return {
    encode: (value) => base64UrlEncodeText(`${format.prefix}${format.write(value)}`),
    decode(cursor) {
      if (!shape.test(cursor)) return undefined
      try {
        // atob throws on a length that is no base64; both throws mean "not one of ours".
        const text = atob(cursor.replaceAll('-', '+').replaceAll('_', '/'))
        return text.startsWith(format.prefix) ? format.read(text.slice(format.prefix.length)) : undefined
      } catch {
        return undefined
      }
    },
  }
}
