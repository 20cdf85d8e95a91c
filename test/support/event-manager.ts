import moRcsFixture from '../fixtures/ci360/scg-mo-rcs-postback.json'
import moTextFixture from '../fixtures/ci360/scg-mo-text.json'
import clickedFixture from '../fixtures/ci360/scg-status-clicked.json'
import deliveredFixture from '../fixtures/ci360/scg-status-delivered.json'
import failedFixture from '../fixtures/ci360/scg-status-failed.json'
import readFixture from '../fixtures/ci360/scg-status-read.json'
import { call } from './worker'

/** The shared Event Manager fixtures (unchanged copies of the project's fixture set). */
export const SCG_FIXTURES = {
  'scg-status-delivered': deliveredFixture,
  'scg-status-failed': failedFixture,
  'scg-status-clicked': clickedFixture,
  'scg-status-read': readFixture,
  'scg-mo-text': moTextFixture,
  'scg-mo-rcs-postback': moRcsFixture,
} as const

export type ScgFixtureName = keyof typeof SCG_FIXTURES

const eventId = () => crypto.randomUUID().replaceAll('-', '').slice(0, 22)

/**
 * A fixture envelope with a fresh `event-id` (D1 is shared by the tests of a file) and the timestamp
 * set to now (fixtures README), optionally patched.
 */
export function scgEnvelope(name: ScgFixtureName, patch?: (e: any) => void): any {
  const envelope = structuredClone(SCG_FIXTURES[name]) as any
  envelope['event-id'] = eventId()
  envelope.event.timestamp = new Date().toISOString()
  patch?.(envelope)
  return envelope
}

const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

function xmlOf(name: string, value: unknown, indent: string): string {
  if (value !== null && typeof value === 'object') {
    const inner = Object.entries(value)
      .map(([k, v]) => xmlOf(k, v, `${indent}  `))
      .join('\n')
    return `${indent}<${name}>\n${inner}\n${indent}</${name}>`
  }
  return `${indent}<${name}>${escapeXml(String(value ?? ''))}</${name}>`
}

/** The XML form of an envelope, as the README documents it (root `event-delivery`). */
export const toXml = (envelope: unknown, root = 'event-delivery') =>
  `<?xml version="1.0" encoding="UTF-8"?>\n${xmlOf(root, envelope, '')}\n`

/** How the fake reaches the Worker: the whole Worker (`call`) or an app built with injected deps. */
export type Sender = (
  path: string,
  init: { method: string; headers: Record<string, string>; body: string },
) => Promise<Response>

export const viaWorker =
  (testEnv: Env): Sender =>
  (path, init) =>
    call(testEnv, path, init)

export const viaApp =
  (app: { request: (url: string, init: RequestInit) => Response | Promise<Response> }): Sender =>
  async (path, init) =>
    app.request(`https://connector.example.com${path}`, init)

export type EventManagerAuth =
  | { mode: 'none' }
  | { mode: 'basic'; username: string; password: string }
  | {
      mode: 'oauth'
      grant: 'client_credentials' | 'password'
      clientId: string
      clientSecret: string
      username?: string
      password?: string
      /** Where the client credentials go: the Basic header (default) or the form body. */
      credentialsIn?: 'header' | 'body'
      /** The token URL as entered in Event Manager (a `?tenant=` query names a tenant's client). */
      tokenPath?: string
    }

const basic = (user: string, pass: string) => `Basic ${btoa(`${user}:${pass}`)}`

/**
 * A fake Syniverse Event Manager delivery configuration: it posts envelopes (JSON or XML) to a webhook
 * URL with the configured auth. In OAuth mode it fetches a token from our token endpoint first, and on
 * a 401 refreshes it (refresh_token grant when it holds a refresh token) and posts once more, as the
 * real service's OAuth mode would.
 */
export function createEventManager(opts: {
  send: Sender
  url: string
  auth: EventManagerAuth
  format?: 'json' | 'xml'
}) {
  let accessToken: string | undefined
  let refreshToken: string | undefined
  const tokenLog: { grant: string; status: number }[] = []

  async function tokenRequest(form: Record<string, string>): Promise<Response> {
    const auth = opts.auth
    if (auth.mode !== 'oauth') throw new Error('not in OAuth mode')
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' }
    const body = new URLSearchParams(form)
    if (auth.credentialsIn === 'body') {
      body.set('client_id', auth.clientId)
      body.set('client_secret', auth.clientSecret)
    } else {
      headers.authorization = basic(encodeURIComponent(auth.clientId), encodeURIComponent(auth.clientSecret))
    }
    const res = await opts.send(auth.tokenPath ?? '/v1/oauth/token', {
      method: 'POST',
      headers,
      body: body.toString(),
    })
    tokenLog.push({ grant: form.grant_type ?? '', status: res.status })
    if (res.ok) {
      const json = (await res.clone().json()) as { access_token: string; refresh_token?: string }
      accessToken = json.access_token
      refreshToken = json.refresh_token ?? refreshToken
    }
    return res
  }

  const em = {
    /** Grant as configured (client_credentials or password). */
    fetchToken() {
      const auth = opts.auth
      if (auth.mode !== 'oauth') throw new Error('not in OAuth mode')
      return tokenRequest(
        auth.grant === 'password'
          ? { grant_type: 'password', username: auth.username ?? '', password: auth.password ?? '' }
          : { grant_type: 'client_credentials' },
      )
    },
    refresh() {
      return tokenRequest({ grant_type: 'refresh_token', refresh_token: refreshToken ?? '' })
    },
    tokens: () => ({ accessToken, refreshToken }),
    tokenLog,

    async post(envelope: unknown, authorization?: string): Promise<Response> {
      const xml = opts.format === 'xml'
      const headers: Record<string, string> = {
        'content-type': xml ? 'application/xml; charset=UTF-8' : 'application/json; charset=UTF-8',
        'x-ess-event-key': 'fake-event-manager',
        'x-ess-event-timestamp': new Date().toISOString(),
      }
      if (authorization) headers.authorization = authorization
      const body = xml ? toXml(envelope) : JSON.stringify(envelope)
      return opts.send(opts.url, { method: 'POST', headers, body })
    },

    /** Deliver one envelope with the configured auth. */
    async deliver(envelope: unknown): Promise<Response> {
      const auth = opts.auth
      if (auth.mode === 'none') return em.post(envelope)
      if (auth.mode === 'basic') return em.post(envelope, basic(auth.username, auth.password))
      if (!accessToken) await em.fetchToken()
      const res = await em.post(envelope, `Bearer ${accessToken}`)
      if (res.status !== 401) return res
      if (!(refreshToken && (await em.refresh()).ok)) await em.fetchToken()
      return em.post(envelope, `Bearer ${accessToken}`)
    },

    /** Deliver the same event again with the next `attempt`, as Event Manager retries. */
    redeliver(envelope: any): Promise<Response> {
      envelope.attempt = Number(envelope.attempt ?? 1) + 1
      return em.deliver(envelope)
    },
  }
  return em
}

/**
 * An Event Manager posting with Basic auth: to the tenant route of `who` when it has an id, else to the
 * global route (with the global credentials of `globalWebhookVars`).
 */
export function basicEventManager(
  send: Sender,
  who: { id?: string; webhook: { username: string; password: string } },
  format?: 'json' | 'xml',
) {
  return createEventManager({
    send,
    url: who.id === undefined ? '/v1/webhooks/scg' : `/v1/webhooks/scg/${who.id}`,
    auth: { mode: 'basic', username: who.webhook.username, password: who.webhook.password },
    ...(format ? { format } : {}),
  })
}
