import { describe, expect, it } from 'vitest'
import type { Config } from '../config/env'
import type { TenantConfig } from '../config/tenant'
import { scgWebhook } from './scg-source'
import { genesysOpenMessaging, twilio } from './signed-sources'
import {
  checkDelivery,
  type Delivery,
  defineSource,
  failedWith,
  forbidden,
  NO_SECRET,
  type RouteInfo,
  verified,
  type WebhookFailure,
} from './webhook-source'

const route = (tenant: TenantConfig | undefined): RouteInfo => ({
  config: {} as Config,
  tenantId: 'acme',
  tenant,
  param: () => undefined,
  url: 'https://connector.example.com/hook',
})
const delivery = (headers: Record<string, string> = {}): Delivery => ({
  body: new TextEncoder().encode('{}'),
  headers: new Headers(headers),
  now: 0,
})
const known = { id: 'acme', secrets: {} } as unknown as TenantConfig

/** A source whose verify() records the material it was given and answers `answer`. */
function recording(answer: 'pass' | 'refuse' | 'bad-body') {
  const seen: string[] = []
  const check = defineSource<string>({
    signed: true,
    refusedLog: 'refused',
    logFields: () => ({}),
    material: () => ({ material: 'real-secret' }),
    placeholder: () => NO_SECRET,
    async verify(_d, secret) {
      seen.push(secret)
      if (answer === 'pass') return verified
      if (answer === 'refuse') return failedWith(forbidden('X-Sig', 'bad signature'))
      return failedWith({ code: 'VALIDATION_FAILED', message: 'not a form' })
    },
    refuseMissing: (reason) => forbidden('X-Sig', reason),
  })
  return { seen, check }
}

describe('checkDelivery: the same work for an unknown tenant', () => {
  it('verifies an unknown tenant against the placeholder, then refuses it even when that passes', async () => {
    const { seen, check } = recording('pass')
    const failure = await checkDelivery(check, route(undefined), delivery())
    expect(seen).toEqual([NO_SECRET])
    expect(failure).toMatchObject({ code: 'FORBIDDEN', log: { reason: 'unknown tenant' } })
  })

  it('verifies a known tenant against its own material and lets it through', async () => {
    const { seen, check } = recording('pass')
    expect(await checkDelivery(check, route(known), delivery())).toBeUndefined()
    expect(seen).toEqual(['real-secret'])
  })

  it('answers a failure that does not depend on credentials as is, whoever the tenant', async () => {
    for (const tenant of [undefined, known]) {
      const { check } = recording('bad-body')
      expect(await checkDelivery(check, route(tenant), delivery())).toMatchObject({
        code: 'VALIDATION_FAILED',
      })
    }
  })
})

describe('Open Messaging verify() over bytes', () => {
  const secretTenant = {
    id: 'acme',
    secrets: { genesys: { open_messaging: { outbound_secret: 'om-secret-vector' } } },
  } as unknown as TenantConfig
  // The recorded vector of genesys-open-messaging.test.ts, as bytes.
  const vector = 'sha256=1illp9rFC/VtmmMD6WSvJ3TL2lawDhnom5h+8hGy1xY='
  const body = new TextEncoder().encode('{"id":"vector"}')
  const run = (headers: Record<string, string>, bytes = body) =>
    checkDelivery(genesysOpenMessaging, route(secretTenant), { ...delivery(headers), body: bytes })

  it('accepts the recorded vector; refuses a tampered body and a missing header with 403', async () => {
    expect(await run({ 'x-hub-signature-256': vector })).toBeUndefined()
    const tampered = new Uint8Array([...body, 0x20])
    const refusals: (WebhookFailure | undefined)[] = [
      await run({ 'x-hub-signature-256': vector }, tampered),
      await run({}),
    ]
    expect(refusals).toMatchObject([
      { code: 'FORBIDDEN', log: { reason: 'bad signature' } },
      { code: 'FORBIDDEN', log: { reason: 'no signature' } },
    ])
  })
})

describe('Twilio verify() over bytes', () => {
  // The form vector of docs/protocols.md, "Twilio" (src/providers/twilio/signature.test.ts).
  const url = 'https://connector.example.workers.dev/twilio/status?tenant=t1'
  const form =
    'MessageSid=SM00000000000000000000000000000001&MessageStatus=delivered' +
    '&AccountSid=AC00000000000000000000000000000001&From=%2B15005550006&To=%2B15005550009' +
    '&ApiVersion=2010-04-01&SmsSid=SM00000000000000000000000000000001&SmsStatus=delivered'
  const material = { token: 'test_auth_token_123', url }
  const run = (body: Uint8Array, signature?: string) =>
    twilio.verify(
      { body, headers: new Headers(signature ? { 'x-twilio-signature': signature } : {}), now: 0 },
      material,
    )
  const bytes = (s: string) => new TextEncoder().encode(s)

  it('accepts the vector; 403 for a tampered parameter or no header; 400 for bytes that are not a form', async () => {
    expect(await run(bytes(form), 'guRO1gDUiDBK6wEU2B9DC14gGzI=')).toEqual({ ok: true, value: true })
    expect(
      await run(bytes(form.replace('=delivered', '=failed')), 'guRO1gDUiDBK6wEU2B9DC14gGzI='),
    ).toMatchObject({
      ok: false,
      error: { code: 'FORBIDDEN', log: { reason: 'signature mismatch' } },
    })
    expect(await run(bytes(form))).toMatchObject({
      error: { code: 'FORBIDDEN', log: { reason: 'no X-Twilio-Signature header' } },
    })
    for (const body of [
      new Uint8Array([0xef, 0xbb, 0xbf, ...bytes(form)]),
      new Uint8Array([...bytes(form), 0xff]),
    ]) {
      expect(await run(body, 'guRO1gDUiDBK6wEU2B9DC14gGzI=')).toMatchObject({
        error: { code: 'VALIDATION_FAILED', details: { fields: ['(body)'] } },
      })
    }
  })
})

describe('Event Manager verify(): 401 with WWW-Authenticate', () => {
  const config = {
    secrets: { scgWebhookAuth: { basic: { username: 'em', password: 'pw' } }, tokenSigningKey: undefined },
  } as unknown as Config
  const global = route(undefined)
  const run = async (r: RouteInfo, headers: Record<string, string>) =>
    checkDelivery(scgWebhook, { ...r, config }, delivery(headers))
  const basic = (user: string, pass: string) => ({ authorization: `Basic ${btoa(`${user}:${pass}`)}` })

  it('accepts the global Basic credentials on the global route', async () => {
    expect(await run({ ...global, tenantId: undefined }, basic('em', 'pw'))).toBeUndefined()
  })

  it('refuses a wrong password, no credentials, and an unknown tenant with the challenges', async () => {
    const wrong = await run({ ...global, tenantId: undefined }, basic('em', 'nope'))
    expect(wrong).toMatchObject({
      code: 'UNAUTHORIZED',
      headers: { 'WWW-Authenticate': 'Basic realm="scg-webhook", charset="UTF-8"' },
      log: { reason: 'basic credentials rejected', realm: 'global' },
    })
    const none = await run({ ...global, tenantId: undefined }, {})
    expect(none?.headers?.['WWW-Authenticate']).toBe(
      'Basic realm="scg-webhook", charset="UTF-8", Bearer realm="scg-webhook"',
    )
    // The global credentials do not open an unknown tenant's route.
    expect(await run(route(undefined), basic('em', 'pw'))).toMatchObject({
      code: 'UNAUTHORIZED',
      log: { reason: 'basic credentials rejected', realm: 'unknown' },
    })
  })
})
