import { describe, expect, it } from 'vitest'
import { loadConfig } from './env'

/** The keyword settings of docs/compliance.md, "Keywords: STOP and START". */
describe('opt-out keyword settings', () => {
  it('defaults: the opt-out and opt-in lists, tenant scope, no events', () => {
    const r = loadConfig({})
    if (!r.ok) throw new Error(r.issues.join())
    expect(r.config.settings).toMatchObject({
      opt_out_scope: 'tenant',
      opt_out_keywords: [
        'STOP',
        'STOPALL',
        'UNSUBSCRIBE',
        'CANCEL',
        'END',
        'QUIT',
        'REVOKE',
        'OPTOUT',
        'OPT OUT',
      ],
      opt_in_keywords: ['START', 'UNSTOP', 'YES'],
    })
    expect(r.config.settings.opt_out_event).toBeUndefined()
    expect(r.config.settings.opt_in_event).toBeUndefined()
  })

  it('takes the lists as comma-separated text or a JSON array, the scope and the event names', () => {
    const a = loadConfig({
      opt_out_keywords: 'STOP, arret ,Opt out',
      opt_in_keywords: '["START"]',
      opt_out_scope: 'sender',
      opt_out_event: 'Opted Out',
      opt_in_event: 'Opted In',
    })
    if (!a.ok) throw new Error(a.issues.join())
    expect(a.config.settings).toMatchObject({
      opt_out_keywords: ['STOP', 'arret', 'Opt out'],
      opt_in_keywords: ['START'],
      opt_out_scope: 'sender',
      opt_out_event: 'Opted Out',
      opt_in_event: 'Opted In',
    })
  })

  it('refuses another scope and an empty keyword, naming the setting', () => {
    const r = loadConfig({ opt_out_scope: 'everyone', opt_in_keywords: 'START,,YES' })
    expect(r.ok).toBe(false)
    if (r.ok) return
    expect(r.issues.join('\n')).toMatch(/opt_out_scope/)
    expect(r.issues.join('\n')).toMatch(/opt_in_keywords/)
  })
})
