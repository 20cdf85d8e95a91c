/**
 * SMS segment counting as the networks bill it. A body goes as GSM-7 (GSM 03.38 default alphabet,
 * 7-bit septets) when every character is in the basic table or its extension table, and as UCS-2
 * (UTF-16 code units) otherwise. A long message is split into parts that each lose room to the
 * concatenation header, and a character is never cut in two across parts.
 */

/**
 * The GSM 03.38 basic table, one septet each, in code order. Code 0x1B (escape) is left out: it is
 * the extension table's prefix, not a character a body can carry on its own.
 */
export const GSM7_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ' +
  ' !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§' +
  '¿abcdefghijklmnopqrstuvwxyzäöñüà'

/** The extension table: two septets each (escape, then the character). Includes form feed. */
export const GSM7_EXTENSION = '\f^{}\\[~]|€'

/** Septets in a single-part GSM-7 message, and in each part of a concatenated one. */
export const GSM7_SINGLE = 160
export const GSM7_PART = 153
/** UTF-16 code units in a single-part UCS-2 message, and in each part of a concatenated one. */
export const UCS2_SINGLE = 70
export const UCS2_PART = 67

const BASIC = new Set(GSM7_BASIC)
const EXTENSION = new Set(GSM7_EXTENSION)

export type Segments = { encoding: 'GSM-7' | 'UCS-2'; units: number; segments: number }

/** Parts needed when units of the given sizes are packed in order, none split across parts. */
function pack(costs: readonly number[], single: number, part: number): { units: number; segments: number } {
  let units = 0
  for (const c of costs) units += c
  if (units <= single) return { units, segments: 1 }
  let segments = 1
  let fill = 0
  for (const c of costs) {
    if (fill + c > part) {
      segments++
      fill = 0
    }
    fill += c
  }
  return { units, segments }
}

/** Encoding, length in that encoding's units, and segment count of an SMS body. Empty costs one segment. */
export function segmentsOf(body: string): Segments {
  const chars = Array.from(body)
  const septets: number[] = []
  for (const ch of chars) {
    if (BASIC.has(ch)) septets.push(1)
    else if (EXTENSION.has(ch)) septets.push(2)
    else {
      const r = pack(
        chars.map((c) => c.length),
        UCS2_SINGLE,
        UCS2_PART,
      )
      return { encoding: 'UCS-2', ...r }
    }
  }
  return { encoding: 'GSM-7', ...pack(septets, GSM7_SINGLE, GSM7_PART) }
}
