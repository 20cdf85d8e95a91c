import { createHmac } from 'node:crypto'
import { call, fakes, type TestTenant, testTenant } from './worker'

/** Genesys test helpers. Signatures are made with node:crypto, independent of our verifier. */

export interface GenesysTestTenant extends TestTenant {
  outboundSecret: string
  /** Scopes this tenant's org at the fake Genesys (tokens, scripts, request log). */
  genesysKey: string
}

const hex = (bytes: number) =>
  [...crypto.getRandomValues(new Uint8Array(bytes))].map((b) => b.toString(16).padStart(2, '0')).join('')

/** A tenant sending Genesys messages through `provider` (SCG by default), plus `overrides`. */
export function genesysTenant(
  overrides: Record<string, unknown> = {},
  genesys: Record<string, unknown> = {},
): GenesysTestTenant {
  const outboundSecret = `om-${hex(16)}`
  const key = `org-${hex(8)}`
  const t = testTenant(undefined, {
    genesys: {
      provider: 'scg',
      numbers: ['+18885550199'],
      open_messaging: {
        integration_id: `integration-${hex(8)}`,
        outbound_secret: outboundSecret,
        client_id: `client-${key}`,
        client_secret: `secret-${key}`,
        login_url: `${fakes().genesys}/${key}`,
        api_url: `${fakes().genesys}/${key}`,
      },
      ...genesys,
    },
    ...overrides,
  })
  return { ...t, outboundSecret, genesysKey: key }
}

export const hubSignature256 = (secret: string, body: string) =>
  `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('base64')}`

/** An Outbound Text message as Genesys Cloud posts it to the integration's webhook. */
export function openMessage(patch: Record<string, unknown> = {}) {
  return {
    id: `gen-${hex(12)}`,
    channel: {
      id: 'integration-channel',
      platform: 'Open',
      type: 'Private',
      to: { id: '+14155550123' },
      from: { id: 'agent', idType: 'Opaque' },
      time: '2026-11-28T14:00:00.000Z',
      messageId: `msg-${hex(8)}`,
    },
    type: 'Text',
    text: 'Hello from the contact centre',
    direction: 'Outbound',
    ...patch,
  }
}

/** POST raw text to the tenant's Open Messaging route, signed with `secret` unless a header is given. */
export function postOpenMessaging(
  testEnv: Env,
  tenant: { id: string; outboundSecret: string },
  body: unknown,
  signature?: string | null,
) {
  const raw = typeof body === 'string' ? body : JSON.stringify(body)
  const sig = signature === undefined ? hubSignature256(tenant.outboundSecret, raw) : signature
  return call(testEnv, `/v1/genesys/${tenant.id}/open-messaging`, {
    body: raw,
    headers: { 'content-type': 'application/json', ...(sig === null ? {} : { 'x-hub-signature-256': sig }) },
  })
}
