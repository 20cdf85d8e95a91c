import { describe, expect, it } from 'vitest'
import { parseCreative } from '../../ci360/creative'
import type { OutboundEvent } from '../../ci360/event'
import { loadConfig } from '../../config/env'
import type { TenantConfig } from '../../config/tenant'
import { maskNumbers } from '../../lib/log'
import { inputOf } from '../../outbound/pipeline'
import { buildTwilioRequest, createTwilioProvider, type TwilioConfig, twilioConfigOf } from './client'

const SID = 'AC0123456789abcdef0123456789abcdef'
const SERVICE = 'MG0123456789abcdef0123456789abcdef'

const config = (over: Partial<TwilioConfig> = {}): TwilioConfig => ({
  apiUrl: `https://api.twilio.test/2010-04-01/Accounts/${SID}/Messages.json`,
  accountSid: SID,
  authToken: 'token-123',
  timeoutMs: 1000,
  defaultSender: '+18885550199',
  messagingServiceSid: undefined,
  statusCallback: 'https://conn.example.com/v1/webhooks/twilio/t1/status',
  ...over,
})

const event = { guid: 'g1', identityId: 'id-1', externalTenantId: 't1' } as OutboundEvent
function input(content: string) {
  const creative = parseCreative(content)
  if (!creative.ok) throw new Error(creative.error.message)
  return inputOf(event, creative.value)
}

function tenant(secret: Record<string, unknown>): TenantConfig {
  const loaded = loadConfig({ TENANT_t1: JSON.stringify({ api_keys: ['k'], ...secret }) })
  if (!loaded.ok) throw new Error(loaded.issues.join())
  return loaded.config.tenant('t1') as TenantConfig
}

describe('Twilio request building', () => {
  it('prefixes To and From with whatsapp: for CHANNEL WHATSAPP, never twice', () => {
    const a = buildTwilioRequest(config(), input('TO:+447700900456;FROM:+14155550100;CHANNEL:WhatsApp;Hi'))
    const b = buildTwilioRequest(
      config(),
      input('TO:whatsapp:+447700900456;FROM:WhatsApp:+14155550100;CHANNEL:WHATSAPP;Hi'),
    )
    expect(a).toEqual({
      ok: true,
      value: expect.objectContaining({ To: 'whatsapp:+447700900456', From: 'whatsapp:+14155550100' }),
    })
    expect(b).toEqual({
      ok: true,
      value: expect.objectContaining({ To: 'whatsapp:+447700900456', From: 'WhatsApp:+14155550100' }),
    })
    const sms = buildTwilioRequest(config(), input('TO:+447700900456;Hi'))
    expect(sms.ok && [sms.value.To, sms.value.From]).toEqual(['+447700900456', '+18885550199'])
  })

  it('chooses FROM, else the Messaging Service, else default_sender', () => {
    const withFrom = buildTwilioRequest(
      config({ messagingServiceSid: SERVICE }),
      input('TO:+1415;FROM:+1999;Hi'),
    )
    expect(withFrom.ok && withFrom.value).toMatchObject({ From: '+1999', MessagingServiceSid: SERVICE })
    const service = buildTwilioRequest(config({ messagingServiceSid: SERVICE }), input('TO:+14155550100;Hi'))
    expect(service.ok && service.value.From).toBeUndefined()
    expect(service.ok && service.value.MessagingServiceSid).toBe(SERVICE)
    const fallback = buildTwilioRequest(config(), input('TO:+14155550100;Hi'))
    expect(fallback.ok && fallback.value).toMatchObject({ From: '+18885550199' })
    expect(fallback.ok && 'MessagingServiceSid' in fallback.value).toBe(false)
    const none = buildTwilioRequest(config({ defaultSender: undefined }), input('TO:+14155550100;Hi'))
    expect(none).toMatchObject({ ok: false, error: { field: 'FROM' } })
  })

  it('refuses more than 10 media URLs and channels Twilio cannot carry', () => {
    const urls = Array.from({ length: 11 }, (_, i) => `https://cdn.example.com/${i}.jpg`).join(',')
    expect(buildTwilioRequest(config(), input(`TO:+14155550100;MEDIA_URLS:${urls};Hi`))).toMatchObject({
      ok: false,
      error: { field: 'MEDIA_URLS' },
    })
    const ten = urls.split(',').slice(0, 10).join(',')
    const ok10 = buildTwilioRequest(config(), input(`TO:+14155550100;MEDIA_URLS:${ten};Hi`))
    expect(ok10.ok && ok10.value.MediaUrl).toHaveLength(10)
    expect(buildTwilioRequest(config(), input('TO:wxid_1;CHANNEL:WECHAT;Hi'))).toMatchObject({
      ok: false,
      error: { field: 'CHANNEL' },
    })
  })

  it('omits StatusCallback when the public origin is unknown', () => {
    const r = buildTwilioRequest(config({ statusCallback: undefined }), input('TO:+14155550100;Hi'))
    expect(r.ok && 'StatusCallback' in r.value).toBe(false)
  })

  it('keeps the normalised phone for the identity cache', () => {
    const p = createTwilioProvider(config(), { fetch, now: Date.now })
    const m = p.prepare(input('TO:+44 7700 900456;CHANNEL:WHATSAPP;Hi'))
    expect(m.ok && m.value).toMatchObject({ to: 'whatsapp:+44 7700 900456', phone: '+447700900456' })
  })
})

describe('Twilio configuration', () => {
  it('names the missing credentials with CONFIG_INVALID', () => {
    let error: any
    try {
      twilioConfigOf(tenant({ twilio_account_sid: SID }), undefined)
    } catch (e) {
      error = e
    }
    expect(error).toMatchObject({ code: 'CONFIG_INVALID', httpStatus: 500 })
    expect(error.message).toContain('twilio_account_sid')
    expect(error.message).toContain('twilio_auth_token')
  })

  it('defaults the API URL to the Messages resource of the account and builds the callback URL', () => {
    const c = twilioConfigOf(
      tenant({ twilio_account_sid: SID, twilio_auth_token: 'x' }),
      'https://c.example.com',
    )
    expect(c.apiUrl).toBe(`https://api.twilio.com/2010-04-01/Accounts/${SID}/Messages.json`)
    expect(c.statusCallback).toBe('https://c.example.com/v1/webhooks/twilio/t1/status')
  })
})

describe('Twilio send', () => {
  function stub(status: number, body: unknown, headers: Record<string, string> = {}) {
    const calls: { url: string; init: RequestInit }[] = []
    const fetchFn = (async (url: string, init: RequestInit) => {
      calls.push({ url, init })
      return new Response(typeof body === 'string' ? body : JSON.stringify(body), { status, headers })
    }) as typeof fetch
    return { calls, provider: createTwilioProvider(config(), { fetch: fetchFn, now: () => 1_000_000 }) }
  }
  const send = async (s: ReturnType<typeof stub>) => {
    const m = s.provider.prepare(
      input('TO:+14155550100;MEDIA_URLS:https://a.example/1.jpg https://a.example/2.jpg;Hi & bye 100%'),
    )
    if (!m.ok) throw new Error('prepare failed')
    return s.provider.send(m.value)
  }

  it('posts the form with Basic auth and repeated MediaUrl keys; 201 gives the sid', async () => {
    const s = stub(201, { sid: 'MM0123', status: 'queued', num_media: '2' })
    expect(await send(s)).toEqual({ ok: true, value: { messageId: 'MM0123', providerStatus: 'queued' } })
    const { url, init } = s.calls[0]!
    expect(url).toBe(config().apiUrl)
    const headers = init.headers as Record<string, string>
    expect(headers.authorization).toBe(`Basic ${btoa(`${SID}:token-123`)}`)
    expect(headers['content-type']).toBe('application/x-www-form-urlencoded')
    expect(init.body).toBe(
      'To=%2B14155550100&From=%2B18885550199&Body=Hi+%26+bye+100%25' +
        '&MediaUrl=https%3A%2F%2Fa.example%2F1.jpg&MediaUrl=https%3A%2F%2Fa.example%2F2.jpg' +
        '&StatusCallback=https%3A%2F%2Fconn.example.com%2Fv1%2Fwebhooks%2Ftwilio%2Ft1%2Fstatus%3Fg%3Dg1',
    )
  })

  it("maps a 400 to a rejection with Twilio's code and no phone number in the message", async () => {
    const r = await send(
      stub(400, {
        code: 21211,
        message: "The 'To' number +14155550100 is not a valid phone number.",
        status: 400,
      }),
    )
    expect(r.ok).toBe(false)
    if (r.ok) return
    expect(r.error).toMatchObject({ kind: 'rejected', status: 400, providerCode: '21211', retryable: false })
    expect(r.error.message).not.toContain('4155550100')
    expect(r.error.message).toContain('+1415*****00')
  })

  it('maps 429 (20429) and 5xx to retryable errors, honouring Retry-After', async () => {
    const limited = await send(
      stub(429, { code: 20429, message: 'Too Many Requests' }, { 'retry-after': '90' }),
    )
    expect(!limited.ok && limited.error).toMatchObject({
      retryable: true,
      providerCode: '20429',
      retryAfterMs: 90_000,
    })
    const down = await send(stub(503, '<html>bad gateway</html>'))
    expect(!down.ok && down.error).toMatchObject({ retryable: true, kind: 'unavailable', status: 503 })
    expect(!down.ok && down.error.providerCode).toBeUndefined()
  })

  it('maps 401 (20003) to a non-retryable auth error', async () => {
    const r = await send(stub(401, { code: 20003, message: 'Authenticate', status: 401 }))
    expect(!r.ok && r.error).toMatchObject({ kind: 'auth', retryable: false, providerCode: '20003' })
  })

  it('masks long digit runs only', () => {
    expect(maskNumbers('To 5551234567 code 21211')).toBe('To ********67 code 21211')
  })
})
