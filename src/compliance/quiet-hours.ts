import type { QuietHours } from '../config/quiet-hours'
import { recipientZones } from './zones'

const MINUTE = 60_000
const DAY_MINUTES = 1440
/** How far ahead a common end of the window is looked for. */
const HORIZON_MS = 2 * 24 * 3600_000
/** Deferred sends spread over at most this long after the window's end (docs/compliance.md). */
export const SPREAD_MS = 30 * MINUTE

/** The window as minutes of the local day: [start, end), across midnight when start > end. */
export interface Window {
  start: number
  end: number
}

const minutesOf = (hhmm: string) => {
  const [h, m] = hhmm.split(':')
  return Number(h) * 60 + Number(m)
}

export const windowOf = (q: Pick<QuietHours, 'start' | 'end'>): Window => ({
  start: minutesOf(q.start),
  end: minutesOf(q.end),
})

export const insideWindow = (w: Window, minute: number) =>
  w.start < w.end ? minute >= w.start && minute < w.end : minute >= w.start || minute < w.end

/** One formatter per zone and isolate: building an Intl.DateTimeFormat costs far more than using one. */
const formatters = new Map<string, Intl.DateTimeFormat>()

/** The wall-clock minute of the day (0–1439) in `zone` at `at` (ms since the epoch). */
export function localMinute(zone: string, at: number): number {
  let f = formatters.get(zone)
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      hour: '2-digit',
      minute: '2-digit',
    })
    formatters.set(zone, f)
  }
  let hour = 0
  let minute = 0
  for (const p of f.formatToParts(at)) {
    if (p.type === 'hour') hour = Number(p.value) % 24
    else if (p.type === 'minute') minute = Number(p.value)
  }
  return hour * 60 + minute
}

const inside = (w: Window, zone: string, at: number) => insideWindow(w, localMinute(zone, at))

/** Each zone's UTC offset at `at`, in minutes mod one day. */
const offsetsAt = (zones: readonly string[], at: number) => {
  const utc = Math.floor(at / MINUTE) % DAY_MINUTES
  return zones.map((z) => (localMinute(z, at) - utc + DAY_MINUTES) % DAY_MINUTES)
}

/**
 * The first minute at or after `at` (minute-aligned) when `zone` is outside the window. Jumps to the
 * wall-clock `end`; when a DST change moved the clock on the way (the jump overshot, or the clock went
 * back and it is still inside), it searches or jumps again, so the answer follows local wall-clock time.
 */
function leaves(w: Window, zone: string, at: number): number {
  let t = at
  for (let i = 0; i < 4; i++) {
    const m = localMinute(zone, t)
    if (!insideWindow(w, m)) return t
    const jump = t + ((w.end - m + DAY_MINUTES) % DAY_MINUTES) * MINUTE
    if (inside(w, zone, jump)) {
      t = jump
      continue
    }
    // Inside at t, outside at jump: the first minute outside lies in (t, jump].
    let lo = t
    let hi = jump
    while (hi - lo > MINUTE) {
      const mid = lo + Math.floor((hi - lo) / 2 / MINUTE) * MINUTE
      if (inside(w, zone, mid)) lo = mid
      else hi = mid
    }
    return hi
  }
  return t
}

/**
 * The zones whose windows close together: all of them when some minute of the day is outside the window
 * in every zone (at today's UTC offsets), else the largest group that shares such a minute. A long
 * window and a number spanning many zones (a toll-free +1 number: Guam to Newfoundland) may have no
 * common minute; following the largest group gives the send a time to go, and the same group again
 * when the cron checks at that time, so it is not deferred day after day.
 */
export function zonesThatCloseTogether(w: Window, zones: readonly string[], now: number): readonly string[] {
  if (zones.length < 2) return zones
  const offsets = offsetsAt(zones, now)
  const outsideAt = (m: number) => offsets.map((off) => !insideWindow(w, (m + off) % DAY_MINUTES))
  // The most zones are outside together at the UTC minute one of them leaves its window.
  const candidates = [...new Set(offsets.map((off) => (w.end - off + DAY_MINUTES) % DAY_MINUTES))].sort(
    (a, b) => a - b,
  )
  let best: boolean[] = []
  let bestCount = -1
  for (const m of candidates) {
    const outside = outsideAt(m)
    const count = outside.filter(Boolean).length
    if (count === zones.length) return zones
    if (count > bestCount) {
      best = outside
      bestCount = count
    }
  }
  return zones.filter((_, i) => best[i])
}

/** The first minute in (from, to] when some zone's UTC offset differs from the one at `from`, if any. */
function offsetChange(zones: readonly string[], from: number, to: number): number | undefined {
  if (to <= from) return undefined
  const after = offsetsAt(zones, to)
  // Only the zones whose offset moved are searched (a day with a DST change has few).
  const moved = offsetsAt(zones, from)
    .map((off, i) => (off === after[i] ? undefined : { zone: zones[i] as string, off }))
    .filter((m) => m !== undefined)
  if (moved.length === 0) return undefined
  const movedZones = moved.map((m) => m.zone)
  const unchanged = (at: number) => offsetsAt(movedZones, at).every((off, i) => off === moved[i]?.off)
  let lo = from
  let hi = to
  while (hi - lo > MINUTE) {
    const mid = lo + Math.floor((hi - lo) / 2 / MINUTE) * MINUTE
    if (unchanged(mid)) lo = mid
    else hi = mid
  }
  return hi
}

/**
 * The end of the window for `zones` and the group it was computed for; undefined: send now. The end must
 * be a minute when the check itself sends: the group by that minute's UTC offsets is outside the window
 * in all its zones. A DST change before the group's common end can break the group (its common minute
 * is gone) or regroup the zones; then the search starts again at that change, with the group by the
 * offsets after it, so the cron's check at `send_at` finds the same group and sends.
 */
function closing(
  w: Window,
  zones: readonly string[],
  now: number,
): { end: number; group: readonly string[] } | undefined {
  if (zones.every((z) => !inside(w, z, now))) return undefined
  const first = zonesThatCloseTogether(w, zones, now)
  if (first.every((z) => !inside(w, z, now))) return undefined
  const from = Math.floor(now / MINUTE) * MINUTE
  let t = from
  let group = first
  let found: { end: number; group: readonly string[] } | undefined
  for (let i = 0; i < 16 && t - from <= HORIZON_MS; i++) {
    const end = commonEnd(w, group, t)
    if (end !== undefined) {
      if (zonesThatCloseTogether(w, zones, end).join() === group.join()) return { end, group }
      found ??= { end, group }
    }
    const change = offsetChange(zones, t, end ?? t + HORIZON_MS)
    if (change === undefined) break
    t = change
    group = zonesThatCloseTogether(w, zones, t)
  }
  return found ?? { end: Math.max(...first.map((z) => leaves(w, z, from))), group: first }
}

/** The first minute from `from` when every zone of `group` is outside the window (within the horizon). */
function commonEnd(w: Window, group: readonly string[], from: number): number | undefined {
  let t = from
  while (t - from <= HORIZON_MS) {
    let moved = false
    for (const z of group) {
      const left = leaves(w, z, t)
      if (left > t) {
        t = left
        moved = true
      }
    }
    if (!moved) return t
  }
  return undefined
}

/**
 * When the window has closed in every zone (the earliest such minute; see `zonesThatCloseTogether`
 * when it never closes in all of them at once), or undefined when `now` is outside it (send now).
 */
export const windowClosesAt = (w: Window, zones: readonly string[], now: number): number | undefined =>
  closing(w, zones, now)?.end

/** FNV-1a over the guid: the same guid always gets the same place in the spread. */
function hash32(s: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i)
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return h
}

/** The guid's offset in [0, spreadMs) (at most 30 minutes), in whole seconds. */
export const spreadOf = (guid: string, spreadMs = SPREAD_MS) => {
  const seconds = Math.floor(Math.min(spreadMs, SPREAD_MS) / 1000)
  return seconds > 0 ? (hash32(guid) % seconds) * 1000 : 0
}

/** What quiet hours says about one send. */
export type QuietDecision =
  | { hold: false; reason: 'outside' | 'exempt' | 'zone_unknown' }
  | { hold: true; windowEnd: number; sendAt: number; zones: readonly string[] }

export interface QuietSubject {
  /** The recipient as `+E.164`; undefined for an address that is not a phone number. */
  phone: string | undefined
  guid: string
  /** The CI360 task's externalCode and taskId, matched against `exempt`. */
  task: readonly (string | null | undefined)[]
  /** A narrower spread than 30 minutes (a short `event_ttl` must not expire the send inside it). */
  spreadMs?: number
}

/**
 * Hold or send (docs/compliance.md, "Quiet hours"): an exempt task or a recipient whose zone is unknown
 * is sent; a recipient inside the window (in any of its zones) is held until the window has closed in
 * all of them, plus the guid's place in the 30-minute spread — unless that would land inside the
 * window again (a very short allowed span), then at the window's end.
 */
export function quietHoursDecision(q: QuietHours, s: QuietSubject, now: number): QuietDecision {
  if (s.task.some((t) => typeof t === 'string' && t !== '' && q.exempt.includes(t))) {
    return { hold: false, reason: 'exempt' }
  }
  const zones = q.zone === 'recipient' ? (s.phone ? recipientZones(s.phone) : undefined) : [q.zone]
  if (!zones || zones.length === 0) return { hold: false, reason: 'zone_unknown' }
  return decisionForZones(windowOf(q), zones, s.guid, now, s.spreadMs)
}

/** The decision once the zones are known (exported for the property tests, which pick zones freely). */
export function decisionForZones(
  w: Window,
  zones: readonly string[],
  guid: string,
  now: number,
  spreadMs?: number,
): QuietDecision {
  const closes = closing(w, zones, now)
  if (!closes) return { hold: false, reason: 'outside' }
  const { end: windowEnd, group } = closes
  const spread = windowEnd + spreadOf(guid, spreadMs)
  const sendAt = group.some((z) => inside(w, z, spread)) ? windowEnd : spread
  return { hold: true, windowEnd, sendAt, zones: group }
}
