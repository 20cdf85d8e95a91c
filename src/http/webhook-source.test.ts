import { describe, expect, it } from 'vitest'
import type { Config } from '../config/env'
import type { TenantConfig } from '../config/tenant'
import { genesysOpenMessaging } from './signed-sources'
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
