import { createHmac } from 'node:crypto'
import { type WebhookCredentials, webhookTenant } from './scg-webhook'
import { twilioTenant } from './twilio'
import { fakes, type TestTenant, testTenant } from './worker'

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

/** A Genesys tenant sending through SCG, with Event Manager credentials for its webhook route. */
export function scgGenesysTenant(
  overrides: Record<string, unknown> = {},
  genesys: Record<string, unknown> = {},
): GenesysTestTenant & { webhook: WebhookCredentials } {
  const w = webhookTenant()
  return { ...genesysTenant({ ...w.secret, ...overrides }, genesys), webhook: w.webhook }
}

/** A Genesys tenant sending through Twilio (its own account at the fake), plus `genesys` settings. */
export function twilioGenesysTenant(genesys: Record<string, unknown> = {}) {
  const tw = twilioTenant()
  const g = genesysTenant({ ...tw.secret }, { provider: 'twilio', ...genesys })
  return { ...g, accountSid: tw.accountSid, authToken: tw.authToken }
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

/** The Open Messaging request of `body` (raw text or JSON), signed with `secret` unless a header is given. */
export function openMessagingRequest(
  tenant: { id: string; outboundSecret: string },
  body: unknown,
  signature?: string | null,
) {
  const raw = typeof body === 'string' ? body : JSON.stringify(body)
  const sig = signature === undefined ? hubSignature256(tenant.outboundSecret, raw) : signature
  return {
    path: `/v1/genesys/${tenant.id}/open-messaging`,
    init: {
      body: raw,
      headers: {
        'content-type': 'application/json',
        ...(sig === null ? {} : { 'x-hub-signature-256': sig }),
      } as Record<string, string>,
    },
  }
}

export interface MulticloudTestTenant extends TestTenant {
  /** Scopes this tenant's contact centre at the fake Nexus (`ccid-<key>`, API secrets `api-<key>-<ch>`). */
  genesysKey: string
  /** The webhook secret of each channel (`ch-a`, `ch-b`). */
  webhookSecrets: Record<string, string>
}

/** A tenant with two Multicloud channels `ch-a` and `ch-b` (no Open Messaging unless `genesys` adds it). */
export function multicloudTenant(
  overrides: Record<string, unknown> = {},
  genesys: Record<string, unknown> = {},
): MulticloudTestTenant {
  const key = `cc-${hex(8)}`
  const webhookSecrets = { 'ch-a': `wh-${hex(16)}`, 'ch-b': `wh-${hex(16)}` }
  const t = testTenant(undefined, {
    genesys: {
      provider: 'scg',
      numbers: ['+18885550199'],
      multicloud: {
        ccid: `ccid-${key}`,
        nexus_url: `${fakes().genesys}/${key}`,
        channels: Object.entries(webhookSecrets).map(([id, secret]) => ({
          channel_id: id,
          webhook_secret: secret,
          api_secret: `api-${key}-${id}`,
        })),
      },
      ...genesys,
    },
    ...overrides,
  })
  return { ...t, genesysKey: key, webhookSecrets }
}

/** A Multicloud tenant sending through SCG, with Event Manager credentials for its webhook route. */
export function scgMulticloudTenant(
  genesys: Record<string, unknown> = {},
): MulticloudTestTenant & { webhook: WebhookCredentials } {
  const w = webhookTenant()
  return { ...multicloudTenant({ ...w.secret }, genesys), webhook: w.webhook }
}

/** `sha1=` + HMAC-SHA1 of the body, hex (the assumed form) or base64, by node:crypto. */
export const hubSignatureSha1 = (secret: string, body: string, encoding: 'hex' | 'base64' = 'hex') =>
  `sha1=${createHmac('sha1', secret).update(body, 'utf8').digest(encoding)}`

/** A Multicloud outbound message in the assumed normalized shape (no `type`/`direction`: the defaults). */
export function multicloudMessage(patch: Record<string, unknown> = {}) {
  return {
    id: `mc-${hex(12)}`,
    channel: { to: { id: '+14155550123' } },
    text: 'Hello from Genesys',
    ...patch,
  }
}

export interface MulticloudOptions {
  channel?: string
  signature?: string | null
  headers?: Record<string, string>
}

/** A channel webhook request of `body`, signed (hex) with the channel's secret unless a header is given. */
export function multicloudRequest(
  tenant: { id: string; webhookSecrets: Record<string, string> },
  body: unknown,
  opts: MulticloudOptions = {},
) {
  const channel = opts.channel ?? 'ch-a'
  const raw = typeof body === 'string' ? body : JSON.stringify(body)
  const sig =
    opts.signature === undefined
      ? hubSignatureSha1(tenant.webhookSecrets[channel] ?? 'none', raw)
      : opts.signature
  return {
    path: `/v1/genesys/${tenant.id}/channels/${channel}/webhook`,
    init: {
      body: raw,
      headers: {
        'content-type': 'application/json',
        ...(sig === null ? {} : { 'x-hub-signature': sig }),
        ...opts.headers,
      } as Record<string, string>,
    },
  }
}
