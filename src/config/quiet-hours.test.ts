import { describe, expect, it } from 'vitest'
import { parseSettings } from './settings'

const parse = (quiet_hours: unknown) => parseSettings({ quiet_hours }, 'TENANT_t.')

describe('quiet_hours setting', () => {
  it('is off when missing or blank', () => {
    for (const v of [undefined, '', '  ']) {
      const r = parse(v)
      expect(r.ok && r.settings.quiet_hours).toBeUndefined()
    }
  })

  it('takes an object or its JSON text; zone defaults to recipient, exempt to none', () => {
    const q = { start: '21:00', end: '08:00' }
    for (const v of [q, JSON.stringify(q)]) {
      const r = parse(v)
      expect(r.ok && r.settings.quiet_hours).toEqual({ ...q, zone: 'recipient', exempt: [] })
    }
    const fixed = parse({ ...q, zone: 'America/Chicago', exempt: ['TSK_1'] })
    expect(fixed.ok && fixed.settings.quiet_hours).toMatchObject({
      zone: 'America/Chicago',
      exempt: ['TSK_1'],
    })
  })

  const bad: [string, unknown, string][] = [
    ['JSON text that does not parse', '{"start":"21:00",', 'TENANT_t.quiet_hours: must be a JSON object'],
    ['a time out of range', { start: '24:00', end: '08:00' }, 'TENANT_t.quiet_hours.start: must be a time'],
    ['a time without minutes', { start: '21', end: '08:00' }, 'TENANT_t.quiet_hours.start: must be a time'],
    ['a missing end', { start: '21:00' }, 'TENANT_t.quiet_hours.end: is required'],
    [
      'an unknown zone',
      { start: '21:00', end: '08:00', zone: 'Mars/Olympus_Mons' },
      'TENANT_t.quiet_hours.zone:',
    ],
    ['an empty exemption', { start: '21:00', end: '08:00', exempt: [''] }, 'TENANT_t.quiet_hours.exempt.0:'],
    [
      'start equal to end',
      { start: '08:00', end: '08:00' },
      'TENANT_t.quiet_hours: start and end must differ',
    ],
  ]
  for (const [name, value, issue] of bad) {
    it(`a config error naming the key, never the value: ${name}`, () => {
      const r = parse(value)
      expect(r.ok).toBe(false)
      if (r.ok) return
      expect(r.issues.join('\n')).toContain(issue)
      for (const secretish of ['Mars', 'Olympus', '24:00', '{"start'])
        expect(r.issues.join('\n')).not.toContain(secretish)
    })
  }
})
