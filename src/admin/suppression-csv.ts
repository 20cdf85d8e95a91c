import { E164, E164_RULE } from '../lib/e164'
import { SUPPRESSION_CHANNELS, type SuppressionChannel } from '../lib/vocabulary'
import type { SuppressionRow } from '../storage/suppressions'

/**
 * The opt-out list as CSV (docs/compliance.md, "The operator's list"): reading an import file line by
 * line, and writing the export. A line is a physical line of the file: a quoted field may hold commas
 * and doubled quotes, not line breaks, so the line numbers of `rejected` are the file's own.
 */

const MAX_REASON = 500
const MAX_SENDER = 64

/** One valid line of an import. */
export interface ImportLine {
  line: number
  address: string
  channel: SuppressionChannel
  sender: string
  reason: string | null
}

export interface ParsedImport {
  valid: ImportLine[]
  rejected: { line: number; reason: string }[]
}

/** The columns an import reads; a header may also name the export's others, which are ignored. */
const READ = ['address', 'channel', 'sender', 'reason'] as const
const IGNORED = new Set(['source', 'keyword', 'created_at'])
type Column = (typeof READ)[number] | 'ignored'
const POSITIONAL: Column[] = ['address', 'channel', 'reason']

/** Split one line into fields; undefined when a quote is not closed on the line. */
export function splitLine(line: string): string[] | undefined {
  const fields: string[] = []
  let i = 0
  for (;;) {
    let field = ''
    // Spaces before an opening quote (`a, "b, c"`) do not make the field unquoted.
    while (line[i] === ' ' || line[i] === '\t') i++
    if (line[i] === '"') {
      i++
      for (;;) {
        if (i >= line.length) return undefined
        if (line[i] === '"') {
          if (line[i + 1] === '"') {
            field += '"'
            i += 2
            continue
          }
          i++
          break
        }
        field += line[i]
        i++
      }
      // Text after a closing quote, up to the next comma, is kept as written.
      while (i < line.length && line[i] !== ',') field += line[i++]
    } else {
      const comma = line.indexOf(',', i)
      field = comma === -1 ? line.slice(i) : line.slice(i, comma)
      i = comma === -1 ? line.length : comma
    }
    fields.push(field.trim())
    if (i >= line.length) return fields
    i++ // the comma
  }
}

/** The header's columns when the first line is one (a cell is `address`, none a number), else undefined. */
function headerOf(fields: string[]): Column[] | string | undefined {
  if (!fields.some((f) => f.toLowerCase() === 'address') || fields.some((f) => E164.test(f))) return undefined
  const columns: Column[] = []
  for (const name of fields.map((f) => f.toLowerCase())) {
    if ((READ as readonly string[]).includes(name)) columns.push(name as Column)
    else if (IGNORED.has(name) || name === '') columns.push('ignored')
    else return `unknown column in the header: use address, channel, sender, reason`
  }
  return columns
}

function entryOf(line: number, fields: string[], columns: Column[]): ImportLine | string {
  if (fields.length > columns.length) return `too many fields (at most ${columns.length})`
  const cell = (name: Column) => {
    const at = columns.indexOf(name)
    return at === -1 ? '' : (fields[at] ?? '')
  }
  // A leading apostrophe is how spreadsheets (and our export, for text) mark a cell as text.
  const address = cell('address').replace(/^'/, '')
  if (!E164.test(address)) return `address ${E164_RULE}`
  const channel = cell('channel').toLowerCase() || 'sms'
  if (!(SUPPRESSION_CHANNELS as readonly string[]).includes(channel))
    return `channel must be one of ${SUPPRESSION_CHANNELS.join(', ')}`
  const sender = cell('sender').replace(/^'/, '')
  if (sender.length > MAX_SENDER || /\p{Cc}/u.test(sender))
    return `sender must be at most ${MAX_SENDER} printable characters`
  const reason = cell('reason')
  if (reason.length > MAX_REASON || /\p{Cc}/u.test(reason))
    return `reason must be at most ${MAX_REASON} printable characters`
  return { line, address, channel: channel as SuppressionChannel, sender, reason: reason || null }
}

/**
 * An import file's lines (`\n` or `\r\n`), numbered from 1 with the header: each valid line, or its
 * number and why it was refused. Blank lines are skipped. Without a header the columns are
 * `address[,channel,reason]`; a header (a cell `address`) names them, so an export can be imported.
 */
export function parseImport(text: string): ParsedImport {
  const lines = text.split(/\r?\n/)
  const out: ParsedImport = { valid: [], rejected: [] }
  let columns: Column[] = POSITIONAL
  lines.forEach((raw, index) => {
    const line = index + 1
    if (raw.trim() === '') return
    const fields = splitLine(raw)
    if (!fields) {
      out.rejected.push({ line, reason: 'a quoted field is not closed on its line' })
      return
    }
    if (line === 1) {
      const header = headerOf(fields)
      if (typeof header === 'string') out.rejected.push({ line, reason: header })
      if (header !== undefined) {
        if (typeof header !== 'string') columns = header
        return
      }
    }
    const entry = entryOf(line, fields, columns)
    if (typeof entry === 'string') out.rejected.push({ line, reason: entry })
    else out.valid.push(entry)
  })
  return out
}

export const EXPORT_HEADER = 'address,channel,sender,source,keyword,created_at'

/**
 * One CSV cell. A text that a spreadsheet would run as a formula (starting with = + - @, a tab or a
 * carriage return) gets a leading apostrophe; an E.164 number is left as it is (digits are no formula,
 * and the export imports back). Cells with a comma, quote or line break are quoted.
 */
export function csvCell(value: string | null): string {
  let v = value ?? ''
  if (/^[=+\-@\t\r]/.test(v) && !E164.test(v)) v = `'${v}`
  return /[",\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v
}

/** One exported row (`sender` empty for a tenant-wide entry). */
export const exportLine = (row: SuppressionRow): string =>
  [row.address, row.channel, row.sender, row.source, row.keyword, new Date(row.created_at).toISOString()]
    .map(csvCell)
    .join(',')
