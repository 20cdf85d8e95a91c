/** S3 object keys are at most 1,024 bytes of UTF-8. */
export const MAX_KEY_BYTES = 1024

/**
 * Why `name` (a marketer-controlled `sendParameters` value) is not a safe object key, or undefined when
 * it is. Refused: empty, absolute (`/x`), any `.` or `..` segment (URL parsers collapse them, so the
 * object would land elsewhere), backslashes, control characters, lone surrogates, and more than 1,024
 * UTF-8 bytes.
 */
export function filenameProblem(name: string): string | undefined {
  if (name.length === 0) return 'must not be empty'
  if (name.startsWith('/')) return 'must be a relative name (no leading /)'
  if (name.includes('\\')) return 'must not contain a backslash'
  if (hasControlCharacter(name)) return 'must not contain control characters'
  // A lone UTF-16 surrogate has no UTF-8 form: the key could not be encoded into the S3 URL.
  if (LONE_SURROGATE.test(name)) return 'must be well-formed Unicode text (no lone surrogates)'
  if (name.split('/').some((segment) => segment === '.' || segment === '..')) {
    return 'must not contain . or .. path segments'
  }
  if (utf8Length(name) > MAX_KEY_BYTES) return `must be at most ${MAX_KEY_BYTES} bytes`
  return undefined
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/** C0 controls, DEL and C1 controls: invisible in consoles and logs, and refused by many S3 tools. */
function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c <= 0x1f || (c >= 0x7f && c <= 0x9f)) return true
  }
  return false
}

export function utf8Length(text: string): number {
  return new TextEncoder().encode(text).byteLength
}
