import { E164 } from '../lib/e164'
import { COUNTRY_ZONES, NANP_ZONES, ZONE_NAMES } from './zone-table'

interface ZoneTable {
  nanp: Map<string, readonly string[]>
  countries: Map<string, readonly string[]>
}

let table: ZoneTable | undefined

/** `prefix:i,j prefix:k` (indices in base 36 into ZONE_NAMES) → prefix → zone names. */
function decode(names: readonly string[], encoded: string): Map<string, readonly string[]> {
  const out = new Map<string, readonly string[]>()
  for (const entry of encoded.split(' ')) {
    const [prefix, list] = entry.split(':')
    if (!prefix || !list) continue
    out.set(
      prefix,
      list.split(',').map((i) => names[Number.parseInt(i, 36)] as string),
    )
  }
  return out
}

/** `Region:Name Name;Region:…` → `Region/Name`, in the table's order. */
const zoneNames = (): string[] =>
  ZONE_NAMES.split(';').flatMap((group) => {
    const [region, list = ''] = group.split(':')
    return list.split(' ').map((n) => `${region}/${n}`)
  })

/** `i,j=201202…` (zones, then three-digit area codes) → `1<area code>` → zone names. */
function decodeNanp(names: readonly string[], encoded: string): Map<string, readonly string[]> {
  const out = new Map<string, readonly string[]>()
  for (const entry of encoded.split(' ')) {
    const [list, codes = ''] = entry.split('=')
    if (!list) continue
    const zones = list.split(',').map((i) => names[Number.parseInt(i, 36)] as string)
    for (let i = 0; i + 3 <= codes.length; i += 3) out.set(`1${codes.slice(i, i + 3)}`, zones)
  }
  return out
}

/** Decoded on first use, once per isolate: a Worker that never checks quiet hours never pays for it. */
function zoneTable(): ZoneTable {
  if (!table) {
    const names = zoneNames()
    table = { nanp: decodeNanp(names, NANP_ZONES), countries: decode(names, COUNTRY_ZONES) }
  }
  return table
}

/**
 * The IANA zones a `+E.164` number may ring in (docs/compliance.md, "Zone data"): NANP (+1) by area
 * code — an area code the table does not know takes every NANP zone — else every zone of its country
 * calling code. Undefined when the number is not E.164 or its calling code is unknown.
 */
export function recipientZones(phone: string): readonly string[] | undefined {
  if (!E164.test(phone)) return undefined
  const digits = phone.slice(1)
  const t = zoneTable()
  if (digits.startsWith('1')) return t.nanp.get(digits.slice(0, 4)) ?? t.countries.get('1')
  // Calling codes are prefix-free: at most one of the 1-, 2- and 3-digit prefixes is one.
  for (const length of [1, 2, 3]) {
    const zones = t.countries.get(digits.slice(0, length))
    if (zones) return zones
  }
  return undefined
}

/** Every zone the table names (for tests: each must be known to the runtime's Intl data). */
export const tableZoneNames = (): readonly string[] => zoneNames()
