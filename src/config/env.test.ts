import { describe, expect, it } from 'vitest'
import { loadConfig } from './env'

const tenantSecret = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    api_keys: ['k1'],
    scg_api_url: 'https://scg.example.com/x',
    scg_access_token: 't',
    ...extra,
  })

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const r = loadConfig({})
    if (!r.ok) throw new Error(r.issues.join())
    expect(r.config.settings).toMatchObject({
      event_ttl: 3600,
      cache_ttl: 604800,
      identity_field: '',
      scg_channel_prefixes: { WHATSAPP: '', WECHAT: 'we:@', FACEBOOK: 'fb:@' },
      scg_channel_senders: {},
      s3_region: 'us-east-1',
      s3_part_size_mb: 8,
      s3_presign_ttl: 0,
      bulk_allow_http_sources: false,
      provider_timeout_ms: 10000,
      retry_max_attempts: 8,
      retention_days: 30,
      ci360_contact_preferences: false,
      contact_preference_minutes: 15,
    })
  })

  it('accepts Lambda-style strings and native values alike', () => {
    const a = loadConfig({
      event_ttl: '120',
      scg_mo_body_uppercase: 'TRUE',
      scg_demo_senders: '{"44":"channel:uk"}',
    })
    const b = loadConfig({
      event_ttl: 120,
      scg_mo_body_uppercase: true,
      scg_demo_senders: { 44: 'channel:uk' },
    })
    if (!a.ok || !b.ok) throw new Error('expected both to parse')
    expect(a.config.settings).toEqual(b.config.settings)
    expect(a.config.settings.scg_demo_senders).toEqual({ '44': 'channel:uk' })
  })

  it('collects scg_response_event_<STATE> and twilio_response_event_<status> families', () => {
    const r = loadConfig({
      scg_response_event_DELIVERED: 'SMS Delivered',
      scg_response_event_CLICKED: 'SMS Clicked',
      twilio_response_event_delivered: 'Twilio Delivered',
      scg_response_event_EMPTY: '',
    })
    if (!r.ok) throw new Error(r.issues.join())
    expect(r.config.settings.scg_response_events).toEqual({
      DELIVERED: 'SMS Delivered',
      CLICKED: 'SMS Clicked',
    })
    expect(r.config.settings.twilio_response_events).toEqual({ delivered: 'Twilio Delivered' })
  })

  it('names the bad variable but never its value', () => {
    const r = loadConfig({
      event_ttl: 'soon-ish-secret',
      scg_demo_senders: '{not json secret',
      s3_part_size_mb: '2',
    })
    expect(r.ok).toBe(false)
    if (r.ok) return
    const text = r.issues.join('\n')
    expect(text).toContain('event_ttl')
    expect(text).toContain('scg_demo_senders')
    expect(text).toContain('s3_part_size_mb')
    expect(text).not.toContain('soon-ish-secret')
    expect(text).not.toContain('not json secret')
  })

  it('resolves a tenant with its overrides and leaves other tenants on the globals', () => {
    const r = loadConfig({
      event_ttl: '3600',
      TENANT_acme: tenantSecret({ event_ttl: '60', scg_response_event_READ: 'Read' }),
      TENANT_beta: tenantSecret(),
    })
    if (!r.ok) throw new Error(r.issues.join())
    expect(r.config.tenant('acme')?.settings.event_ttl).toBe(60)
    expect(r.config.tenant('acme')?.settings.scg_response_events).toEqual({ READ: 'Read' })
    expect(r.config.tenant('beta')?.settings.event_ttl).toBe(3600)
    expect(r.config.tenant('acme')?.secrets.api_keys).toEqual(['k1'])
  })

  it('returns undefined for unknown tenants and for ids outside the safe alphabet', () => {
    const r = loadConfig({ TENANT_acme: tenantSecret() })
    if (!r.ok) throw new Error(r.issues.join())
    expect(r.config.tenant('nobody')).toBeUndefined()
    expect(r.config.tenant('../acme')).toBeUndefined()
  })

  it('throws CONFIG_INVALID for a broken tenant secret, naming keys (not values) in the cause only', () => {
    const r = loadConfig({
      TENANT_bad: JSON.stringify({ api_keys: 'k-secret', event_ttl: 'abc-secret', scg_api_url: 'not a url' }),
      TENANT_nojson: '{oops',
    })
    if (!r.ok) throw new Error(r.issues.join())
    let error: any
    try {
      r.config.tenant('bad')
    } catch (e) {
      error = e
    }
    expect(error?.code).toBe('CONFIG_INVALID')
    expect(error.message).not.toContain('secret')
    const cause = String(error.cause?.message)
    expect(cause).toContain('TENANT_bad.event_ttl')
    expect(cause).toContain('TENANT_bad.scg_api_url')
    expect(cause).not.toContain('abc-secret')
    expect(() => r.config.tenant('nojson')).toThrow(/Tenant configuration is invalid/)
  })

  it('accepts api_keys as a comma-separated string (as a Lambda env var would hold it)', () => {
    const r = loadConfig({ TENANT_acme: JSON.stringify({ api_keys: 'a, b' }) })
    if (!r.ok) throw new Error(r.issues.join())
    expect(r.config.tenant('acme')?.secrets.api_keys).toEqual(['a', 'b'])
  })
})
