import { describe, expect, it } from 'vitest'
import { decisionForZones, insideWindow, localMinute, zonesThatCloseTogether } from './quiet-hours'

const at = (iso: string) => Date.parse(iso)

describe('a DST change that breaks a group of zones (regressions)', () => {
  it('00:00–19:00 in New York and London at 2026-11-01T00:00Z (New York goes back at 06:00Z): held for New York, sent at its end', () => {
    // At today's offsets (EDT, GMT) both windows are closed together at 23:00–24:00 UTC, and London is
    // inside now (00:00): held. From 06:00Z New York is EST and the two never close together again
    // before spring; the largest group is then New York alone, whose window ends at 19:00 EST.
    const w = { start: 0, end: 1140 }
    const zones = ['America/New_York', 'Europe/London']
    const guid = '00000000-0000-1000-8000-000000000000'
    const now = at('2026-11-01T00:00:00Z')
    expect(zonesThatCloseTogether(w, zones, now)).toEqual(zones)
    expect(insideWindow(w, localMinute('Europe/London', now))).toBe(true)
    const d = decisionForZones(w, zones, guid, now)
    expect(d.hold).toBe(true)
    if (!d.hold) return
    expect(d.zones).toEqual(['America/New_York'])
    expect(d.windowEnd).toBe(at('2026-11-02T00:00:00Z'))
    expect(d.sendAt - d.windowEnd).toBeLessThan(30 * 60_000)
    expect(insideWindow(w, localMinute('America/New_York', d.sendAt))).toBe(false)
    // The cron's check at send_at finds the same group and sends.
    expect(decisionForZones(w, zones, guid, d.sendAt).hold).toBe(false)
  })
  it('a night when several zones change one after another (US, 2025-11-02 and 2027-03-14): one deferral to the common end', () => {
    const guid = '00000000-0000-1000-8000-000000000000'
    const cases = [
      {
        w: { start: 391, end: 0 },
        zones: [
          'Pacific/Honolulu',
          'America/New_York',
          'America/Los_Angeles',
          'America/Chicago',
          'America/St_Johns',
        ],
        now: at('2025-11-01T09:01:00Z'),
        end: at('2025-11-02T10:00:00Z'),
      },
      {
        w: { start: 0, end: 120 },
        zones: ['America/New_York', 'America/Chicago', 'America/St_Johns', 'America/Los_Angeles'],
        now: at('2027-03-14T03:30:00Z'),
        end: at('2027-03-14T10:00:00Z'),
      },
    ]
    for (const { w, zones, now, end } of cases) {
      const d = decisionForZones(w, zones, guid, now)
      expect(d.hold).toBe(true)
      if (!d.hold) continue
      expect(d.windowEnd).toBe(end)
      expect(zones.some((z) => insideWindow(w, localMinute(z, d.sendAt)))).toBe(false)
      expect(decisionForZones(w, zones, guid, d.sendAt).hold).toBe(false)
    }
  })
})
