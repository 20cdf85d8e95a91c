import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { QuietHours } from '../config/quiet-hours'
import {
  decisionForZones,
  insideWindow,
  localMinute,
  quietHoursDecision,
  SPREAD_MS,
  spreadOf,
  type Window,
  windowClosesAt,
  windowOf,
  zonesThatCloseTogether,
} from './quiet-hours'
import { recipientZones, tableZoneNames } from './zones'

const MINUTE = 60_000
const TCPA: QuietHours = { start: '21:00', end: '08:00', zone: 'recipient', exempt: [] }
const win = windowOf(TCPA)
const at = (iso: string) => Date.parse(iso)
const hhmm = (m: number) =>
  `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`
const insideAny = (w: Window, zones: readonly string[], t: number) =>
  zones.some((z) => insideWindow(w, localMinute(z, t)))

const ZONES = [
  'America/New_York',
  'America/Chicago',
  'America/Los_Angeles',
  'America/St_Johns',
  'Europe/London',
  'Europe/Moscow',
  'Australia/Lord_Howe',
  'Asia/Kolkata',
  'Asia/Kathmandu',
  'Pacific/Chatham',
  'Pacific/Honolulu',
  'America/Sao_Paulo',
]
/** 2025-01-01 … 2028-01-01, so DST changes of several years fall inside. */
const instant = fc.integer({ min: at('2025-01-01T00:00:00Z'), max: at('2028-01-01T00:00:00Z') })
const minuteOfDay = fc.integer({ min: 0, max: 1439 })
/** A window whose allowed span is at least 10 h: a common end exists for zones up to ~14 h apart. */
const window = fc
  .tuple(minuteOfDay, fc.integer({ min: 1, max: 14 * 60 }))
  .map(([start, length]): Window => ({ start, end: (start + length) % 1440 }))

describe('window math', () => {
  it('never sends inside the window, and the end is the first minute outside it (one zone)', () => {
    fc.assert(
      fc.property(window, fc.constantFrom(...ZONES), instant, (w, zone, now) => {
        const end = windowClosesAt(w, [zone], now)
        if (end === undefined) {
          expect(insideWindow(w, localMinute(zone, now))).toBe(false)
          return
        }
        expect(end).toBeGreaterThan(now - MINUTE)
        expect(end % MINUTE).toBe(0)
        expect(insideWindow(w, localMinute(zone, end))).toBe(false)
        expect(insideWindow(w, localMinute(zone, end - MINUTE))).toBe(true)
      }),
      { numRuns: 400 },
    )
  })

  it('several zones: the send waits until the window is closed in all of them, no longer', () => {
    fc.assert(
      fc.property(
        window,
        fc.uniqueArray(fc.constantFrom(...ZONES.slice(0, 6)), { minLength: 2, maxLength: 4 }),
        instant,
        (w, zones, now) => {
          fc.pre((w.end - w.start + 1440) % 1440 <= 11 * 60)
          const end = windowClosesAt(w, zones, now)
          if (end === undefined) {
            expect(insideAny(w, zones, now)).toBe(false)
            return
          }
          expect(insideAny(w, zones, end)).toBe(false)
          // Every minute from now to the end is inside the window somewhere (the end is the earliest).
          for (let t = Math.floor(now / MINUTE) * MINUTE; t < end; t += 17 * MINUTE) {
            expect(insideAny(w, zones, t)).toBe(true)
          }
        },
      ),
      { numRuns: 150 },
    )
  })

  it('the deferred send lands outside the window, within 30 minutes of its end, the same for the same guid', () => {
    fc.assert(
      fc.property(fc.constantFrom(...ZONES), instant, fc.uuid(), (zone, now, guid) => {
        const q = { ...TCPA, zone }
        const d = quietHoursDecision(q, { phone: undefined, guid, task: [] }, now)
        expect(d).toEqual(quietHoursDecision(q, { phone: undefined, guid, task: [] }, now))
        if (!d.hold) {
          expect(insideWindow(win, localMinute(zone, now))).toBe(false)
          return
        }
        expect(d.sendAt - d.windowEnd).toBeGreaterThanOrEqual(0)
        expect(d.sendAt - d.windowEnd).toBeLessThan(SPREAD_MS)
        expect(insideWindow(win, localMinute(zone, d.sendAt))).toBe(false)
      }),
      { numRuns: 300 },
    )
  })

  it('converges: at send_at the same check sends, for any window and any zones (no deferral day after day)', () => {
    fc.assert(
      fc.property(
        minuteOfDay,
        minuteOfDay,
        fc.uniqueArray(fc.constantFrom(...ZONES), { minLength: 1, maxLength: 8 }),
        instant,
        fc.uuid(),
        (start, end, zones, now, guid) => {
          fc.pre(start !== end)
          const w = { start, end }
          const d = decisionForZones(w, zones, guid, now)
          if (!d.hold) {
            expect(insideAny(w, zonesThatCloseTogether(w, zones, now), now)).toBe(false)
            return
          }
          expect(d.sendAt).toBeGreaterThan(now - MINUTE)
          expect(insideAny(w, d.zones, d.sendAt)).toBe(false)
          const again = decisionForZones(w, zones, guid, d.sendAt)
          // A DST change between the two checks may regroup zones that never close together: once more.
          if (again.hold) expect(decisionForZones(w, zones, guid, again.sendAt).hold).toBe(false)
        },
      ),
      { numRuns: 300 },
    )
  })

  it('spreads a batch over the 30 minutes, not into one second', () => {
    const offsets = new Set(Array.from({ length: 200 }, (_, i) => spreadOf(`guid-${i}`)))
    expect(offsets.size).toBeGreaterThan(150)
    expect(Math.max(...offsets)).toBeLessThan(SPREAD_MS)
  })
})

describe('around midnight and DST changes', () => {
  it('22:30 in New York waits until 08:00 the next morning; 07:59 waits one minute; 08:00 is sent', () => {
    expect(windowClosesAt(win, ['America/New_York'], at('2026-06-10T02:30:00Z'))).toBe(
      at('2026-06-10T12:00:00Z'),
    )
    expect(windowClosesAt(win, ['America/New_York'], at('2026-06-10T11:59:00Z'))).toBe(
      at('2026-06-10T12:00:00Z'),
    )
    expect(windowClosesAt(win, ['America/New_York'], at('2026-06-10T12:00:00Z'))).toBeUndefined()
    expect(windowClosesAt(win, ['America/New_York'], at('2026-06-11T00:59:59Z'))).toBeUndefined()
    expect(windowClosesAt(win, ['America/New_York'], at('2026-06-11T01:00:00Z'))).toBe(
      at('2026-06-11T12:00:00Z'),
    )
  })

  it('New York, 2026-03-08 (clocks go forward at 02:00): the window ends at 08:00 EDT, 12:00 UTC', () => {
    // 23:00 EST on the 7th is 04:00 UTC; 08:00 on the 8th is already EDT (UTC-4).
    expect(windowClosesAt(win, ['America/New_York'], at('2026-03-08T04:00:00Z'))).toBe(
      at('2026-03-08T12:00:00Z'),
    )
  })

  it('New York, 2026-11-01 (clocks go back at 02:00): the window ends at 08:00 EST, 13:00 UTC', () => {
    expect(windowClosesAt(win, ['America/New_York'], at('2026-11-01T03:00:00Z'))).toBe(
      at('2026-11-01T13:00:00Z'),
    )
  })

  it('London, 2026-03-29 and 2026-10-25', () => {
    expect(windowClosesAt(win, ['Europe/London'], at('2026-03-28T22:00:00Z'))).toBe(
      at('2026-03-29T07:00:00Z'),
    )
    expect(windowClosesAt(win, ['Europe/London'], at('2026-10-24T21:00:00Z'))).toBe(
      at('2026-10-25T08:00:00Z'),
    )
  })

  it('a window that ends inside the skipped hour ends when the clock jumps', () => {
    const w = windowOf({ start: '23:00', end: '02:30' })
    // 2026-03-08 02:00 EST → 03:00 EDT (07:00 UTC): 02:30 never happens that night.
    expect(windowClosesAt(w, ['America/New_York'], at('2026-03-08T05:00:00Z'))).toBe(
      at('2026-03-08T07:00:00Z'),
    )
  })

  it('a window that ends inside the repeated hour ends at its first 01:30', () => {
    const w = windowOf({ start: '23:00', end: '01:30' })
    // 2026-11-01 01:30 EDT is 05:30 UTC (the first one).
    expect(windowClosesAt(w, ['America/New_York'], at('2026-11-01T04:00:00Z'))).toBe(
      at('2026-11-01T05:30:00Z'),
    )
  })

  it('property: DST days of New York and London, every minute of the night', () => {
    const nights = [
      ['America/New_York', '2026-03-07T20:00:00Z'],
      ['America/New_York', '2026-10-31T20:00:00Z'],
      ['Europe/London', '2026-03-28T15:00:00Z'],
      ['Europe/London', '2026-10-24T15:00:00Z'],
    ] as const
    fc.assert(
      fc.property(
        fc.constantFrom(...nights),
        fc.integer({ min: 0, max: 24 * 60 }),
        minuteOfDay,
        minuteOfDay,
        ([zone, from], offset, start, end) => {
          fc.pre(start !== end)
          const w = { start, end }
          const now = at(from) + offset * MINUTE
          const closes = windowClosesAt(w, [zone], now)
          const t = closes ?? now
          expect(insideWindow(w, localMinute(zone, t))).toBe(false)
          if (closes !== undefined) expect(insideWindow(w, localMinute(zone, closes - MINUTE))).toBe(true)
        },
      ),
      { numRuns: 400 },
    )
  })
})

describe('recipient zones', () => {
  it('NANP by area code, other countries by calling code', () => {
    expect(recipientZones('+12125550123')).toEqual(['America/New_York'])
    expect(recipientZones('+14155550123')).toEqual(['America/Los_Angeles'])
    expect(recipientZones('+18505550123')).toEqual(['America/Chicago', 'America/New_York'])
    expect(recipientZones('+447700900123')).toContain('Europe/London')
    expect(recipientZones('+79161234567')).toEqual(
      expect.arrayContaining(['Europe/Moscow', 'Asia/Vladivostok']),
    )
    expect(recipientZones('+61412345678')).toEqual(
      expect.arrayContaining(['Australia/Perth', 'Australia/Sydney']),
    )
    expect(recipientZones('+5511912345678')).toEqual(
      expect.arrayContaining(['America/Manaus', 'America/Sao_Paulo']),
    )
    expect(recipientZones('+525512345678')).toEqual(
      expect.arrayContaining(['America/Tijuana', 'America/Cancun']),
    )
    // A toll-free area code has no place: every NANP zone.
    expect(recipientZones('+18005550123')?.length).toBeGreaterThan(10)
    expect(recipientZones('4155550123')).toBeUndefined()
    expect(recipientZones('+999123456')).toBeUndefined()
  })

  it('every zone of the table is known to the runtime', () => {
    for (const z of tableZoneNames()) expect(() => localMinute(z, 0), z).not.toThrow()
  })

  it('Russia (+7) at 21:30 in Moscow: held until 08:00 in Moscow, the westernmost of its zones in the table', () => {
    // 2026-06-10 18:30 UTC: 21:30 Moscow, 04:30 Kamchatka the next day (inside too).
    const d = quietHoursDecision(
      TCPA,
      { phone: '+74951234567', guid: 'g', task: [] },
      at('2026-06-10T18:30:00Z'),
    )
    expect(d.hold).toBe(true)
    if (!d.hold) return
    const zones = recipientZones('+74951234567') ?? []
    expect(insideAny(win, zones, d.windowEnd)).toBe(false)
    expect(insideAny(win, zones, d.windowEnd - MINUTE)).toBe(true)
    expect(hhmm(localMinute('Europe/Moscow', d.windowEnd))).toBe('08:00')
    expect(d.windowEnd).toBe(at('2026-06-11T05:00:00Z'))
  })
})

describe('a window that never closes in all the zones at once', () => {
  it('a toll-free +1 number, 20:00–09:00 in summer: held, then sent with the largest group of zones', () => {
    const q: QuietHours = { start: '20:00', end: '09:00', zone: 'recipient', exempt: [] }
    const w = windowOf(q)
    const zones = recipientZones('+18005550123') ?? []
    const now = at('2026-07-01T03:00:00Z')
    const group = zonesThatCloseTogether(w, zones, now)
    expect(group.length).toBeLessThan(zones.length)
    expect(group).toEqual(
      expect.arrayContaining(['America/New_York', 'America/Los_Angeles', 'America/Chicago']),
    )
    const d = quietHoursDecision(q, { phone: '+18005550123', guid: 'g', task: [] }, now)
    expect(d.hold).toBe(true)
    if (!d.hold) return
    expect(insideAny(w, group, d.sendAt)).toBe(false)
    expect(quietHoursDecision(q, { phone: '+18005550123', guid: 'g', task: [] }, d.sendAt).hold).toBe(false)
  })
})

describe('exemptions and unknown zones', () => {
  const night = at('2026-06-10T03:00:00Z')
  it('an exempt task (externalCode or taskId) is sent at once', () => {
    const q = { ...TCPA, exempt: ['TSK_1', 'task-uuid'] }
    const phone = '+12125550123'
    expect(quietHoursDecision(q, { phone, guid: 'g', task: ['TSK_1', null] }, night)).toEqual({
      hold: false,
      reason: 'exempt',
    })
    expect(quietHoursDecision(q, { phone, guid: 'g', task: [null, 'task-uuid'] }, night).hold).toBe(false)
    expect(quietHoursDecision(q, { phone, guid: 'g', task: ['TSK_2', ''] }, night).hold).toBe(true)
  })

  it('a fixed zone applies to every recipient; no number and no zone → sent', () => {
    const q = { ...TCPA, zone: 'Asia/Tokyo' }
    // 03:00 UTC is 12:00 in Tokyo.
    expect(quietHoursDecision(q, { phone: '+12125550123', guid: 'g', task: [] }, night).hold).toBe(false)
    expect(quietHoursDecision(TCPA, { phone: undefined, guid: 'g', task: [] }, night)).toEqual({
      hold: false,
      reason: 'zone_unknown',
    })
  })
})
