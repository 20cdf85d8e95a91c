import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks'
import { expect } from 'vitest'
import { FIXTURE_TENANT } from './constants'
import { outboundEvent } from './fixtures'
import { call, fakes, json, type TestTenant, testTenant } from './worker'

/** Twilio test helpers. Signatures are made with Twilio's own library, independent of our verifier. */

export interface TwilioTestTenant extends TestTenant {
  accountSid: string
  authToken: string
}

const hex = (bytes: number) =>
  [...crypto.getRandomValues(new Uint8Array(bytes))].map((b) => b.toString(16).padStart(2, '0')).join('')

/** The origin `call()` sends requests to. */
export const ORIGIN = 'https://connector.example.com'

/**
 * A tenant with its own Twilio account at the fake (the AccountSid keys the fake's log), event names
 * for `delivered`/`failed` and replies, plus `overrides`.
 */
export function twilioTenant(
  id: string = FIXTURE_TENANT,
  overrides: Record<string, unknown> = {},
): TwilioTestTenant {
  const accountSid = `AC${hex(16)}`
  const authToken = `twilio-${hex(16)}`
  const t = testTenant(id, {
    twilio_account_sid: accountSid,
    twilio_auth_token: authToken,
    twilio_api_url: `${fakes().twilio}/2010-04-01/Accounts/${accountSid}/Messages.json`,
    twilio_response_event_delivered: 'Twilio Delivered',
    twilio_response_event_failed: 'Twilio Failed',
    twilio_mo_event: 'Twilio Inbound',
    ...overrides,
  })
  return {
    ...t,
    accountSid: String(t.secret.twilio_account_sid),
    authToken: String(t.secret.twilio_auth_token),
  }
}

/** Twilio's error body as the API sends it. */
export const twilioErrorBody = (code: number, status: number, message: string) => ({
  code,
  message,
  more_info: `https://www.twilio.com/docs/errors/${code}`,
  status,
})

export function postTwilioMessage(testEnv: Env, t: TestTenant, body: unknown, tenant = t.id) {
  return call(testEnv, `/v1/tenants/${tenant}/twilio/messages`, {
    body,
    headers: { 'x-api-key': t.apiKey, 'content-type': 'text/plain;charset=UTF-8' },
  })
}

/** Send the Twilio fixture for tenant `t` through the fake; returns the event and the SID Twilio gave it. */
export async function sendThroughTwilio(testEnv: Env, t: TestTenant) {
  const event = outboundEvent('outbound-twilio', { patch: (e) => (e.externalTenantId = t.id) })
  const reply = await json(await postTwilioMessage(testEnv, t, event))
  expect(reply.status).toBe('OK')
  return { event, sid: reply.message_id as string }
}

export type Params = Record<string, string | string[]>

/** `a=1&b=2&MediaUrl=x&MediaUrl=y`, as Twilio posts it. */
export function formBody(params: Params): string {
  const form = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) for (const one of [v].flat()) form.append(k, one)
  return form.toString()
}

/** The signature Twilio would send for these params posted to `url`. */
export const sign = (token: string, url: string, params: Params | null) =>
  getExpectedTwilioSignature(token, url, params as Record<string, any>)

export interface WebhookOptions {
  /** Sign over this URL instead of the one posted to (e.g. a public_base_url, or with :443). */
  signedUrl?: string
  /** Use this signature (or none, with null) instead of a correct one. */
  signature?: string | null
  token?: string
}

/** A signed form webhook request as Twilio makes it. */
export function twilioWebhookRequest(path: string, params: Params, token: string, o: WebhookOptions = {}) {
  const signature =
    o.signature === undefined
      ? sign(o.token ?? token, o.signedUrl ?? `${ORIGIN}${path}`, params)
      : o.signature
  return {
    method: 'POST',
    body: formBody(params),
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'user-agent': 'TwilioProxy/1.1',
      ...(signature === null ? {} : { 'x-twilio-signature': signature }),
    } as Record<string, string>,
  }
}

/** Post a signed form webhook to the whole Worker, as Twilio would. */
export function postTwilioWebhook(
  testEnv: Env,
  path: string,
  params: Params,
  token: string,
  o: WebhookOptions = {},
) {
  return call(testEnv, path, twilioWebhookRequest(path, params, token, o))
}

/** A status callback's parameters (providers.md §3.4). */
export function statusParams(t: TwilioTestTenant, sid: string, status: string, extra: Params = {}): Params {
  return {
    ApiVersion: '2010-04-01',
    AccountSid: t.accountSid,
    MessageSid: sid,
    SmsSid: sid,
    MessageStatus: status,
    SmsStatus: status,
    From: '+18885550100',
    To: '+12125550147',
    ...(status === 'delivered' ? { RawDlrDoneDate: '2505011230' } : {}),
    ...extra,
  }
}

/** An incoming message's parameters (providers.md §3.5). */
export function inboundParams(t: TwilioTestTenant, from: string, body: string, media: string[] = []): Params {
  const sid = `${media.length ? 'MM' : 'SM'}${hex(16)}`
  const params: Params = {
    ToCountry: 'US',
    SmsMessageSid: sid,
    NumMedia: String(media.length),
    MessageSid: sid,
    SmsSid: sid,
    AccountSid: t.accountSid,
    From: from,
    To: '+18885550100',
    Body: body,
    NumSegments: '1',
    ApiVersion: '2010-04-01',
  }
  media.forEach((url, i) => {
    params[`MediaUrl${i}`] = url
    params[`MediaContentType${i}`] = 'image/jpeg'
  })
  return params
}
