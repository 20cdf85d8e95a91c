import { createHmac, randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import autocannon from 'autocannon'
import { CI360_CLIENT_SECRETS, FIXTURE_TENANT } from '../test/support/constants'
import type { CallCounts } from './worker/counts'

/**
 * The requests the route benchmark sends: every one is new work (fresh guid, event-id, MessageSid), so
 * the numbers include the D1 claim, the provider call and the CI360 injection, not a DUPLICATE shortcut.
 */

/**
 * The Worker's log level in the benchmark: wrangler.toml's default (`info`), so the log lines production
 * writes are paid here too; BENCH_LOG_LEVEL=warn shows what they cost.
 */
export const LOG_LEVEL = process.env.BENCH_LOG_LEVEL ?? 'info'

export const API_KEY = 'bench-api-key'
const SCG_TOKEN = 'scg-bench-token'
export const TWILIO_SID = `AC${'be'.repeat(16)}`
const TWILIO_TOKEN = 'twilio-bench-token'
const WEBHOOK_BASIC = `Basic ${Buffer.from('bench-em:bench-password').toString('base64')}`
const fixture = (name: string) => JSON.parse(readFileSync(`test/fixtures/ci360/${name}`, 'utf8'))

/** The tenant secret pointing every provider at the local fakes. */
export function tenantSecret(urls: Record<string, string>, overrides: Record<string, unknown> = {}) {
  return JSON.stringify({
    api_keys: [API_KEY],
    scg_api_url: `${urls.scg}/scg-external-api/api/v1/messaging/message_requests`,
    scg_access_token: SCG_TOKEN,
    twilio_api_url: `${urls.twilio}/2010-04-01/Accounts/${TWILIO_SID}/Messages.json`,
    twilio_account_sid: TWILIO_SID,
    twilio_auth_token: TWILIO_TOKEN,
    ci360_api_url: `${urls.ci360}/bench/marketingGateway/events`,
    ci360_client_secret: CI360_CLIENT_SECRETS[FIXTURE_TENANT],
    scg_webhook: { basic: { username: 'bench-em', password: 'bench-password' } },
    scg_response_event_DELIVERED: 'SMS Delivered',
    twilio_response_event_delivered: 'Twilio Delivered',
    ...overrides,
  })
}

/**
 * Per server: the message ids its sends returned, so receipts and status callbacks name messages that
 * server sent (their delivery is found and updated, as in production), newest first, each once while
 * they last; beyond that they repeat (counted).
 */
export interface TargetState {
  ids: Record<'scg' | 'twilio', string[]>
  used: Record<'scg' | 'twilio', number>
  repeats: number
}

export const newTargetState = (): TargetState => ({
  ids: { scg: [], twilio: [] },
  used: { scg: 0, twilio: 0 },
  repeats: 0,
})

function nextId(state: TargetState, provider: 'scg' | 'twilio', fallback: string): string {
  const ids = state.ids[provider]
  const i = state.used[provider]++
  if (i >= ids.length) state.repeats++
  return ids[ids.length - 1 - i] ?? ids[0] ?? fallback
}

const keepId = (provider: 'scg' | 'twilio') => (state: TargetState, body: string) => {
  const id = (JSON.parse(body) as { message_id?: string }).message_id
  if (id) state.ids[provider].push(id)
}

export interface Case {
  method?: 'GET' | 'POST'
  route: string
  path: (tenant: string) => string
  headers: Record<string, string>
  body: (state: TargetState, base: string, tenant: string) => string
  onBody?: (state: TargetState, body: string) => void
  sign?: (base: string, tenant: string, body: string) => Record<string, string>
}

const outbound = (name: string) => {
  const event = fixture(name)
  return (_state: TargetState, _base: string, tenant: string) => {
    event.guid = randomUUID()
    event.externalTenantId = tenant
    event.date.generatedTimestamp = Date.now()
    return JSON.stringify(event)
  }
}
const dlr = fixture('scg-status-delivered.json')
const statusPath = (tenant: string) => `/v1/webhooks/twilio/${tenant}/status`

export const CASES: Case[] = [
  // The floor: the runtime and the router, with no storage or provider call.
  { method: 'GET', route: 'GET /health', path: () => '/health', headers: {}, body: () => '' },
  {
    route: 'SCG send',
    path: (t) => `/v1/tenants/${t}/scg/messages`,
    headers: { 'x-api-key': API_KEY, 'content-type': 'text/plain;charset=UTF-8' },
    body: outbound('outbound-sms-oneline.json'),
    onBody: keepId('scg'),
  },
  {
    route: 'Twilio send',
    path: (t) => `/v1/tenants/${t}/twilio/messages`,
    headers: { 'x-api-key': API_KEY, 'content-type': 'text/plain;charset=UTF-8' },
    body: outbound('outbound-twilio.json'),
    onBody: keepId('twilio'),
  },
  {
    route: 'SCG webhook',
    path: (t) => `/v1/webhooks/scg/${t}`,
    headers: { authorization: WEBHOOK_BASIC, 'content-type': 'application/json; charset=UTF-8' },
    body: (state) => {
      dlr['event-id'] = randomUUID().replaceAll('-', '').slice(0, 22)
      dlr.event['fld-val-list'].message_request_id = nextId(state, 'scg', 'Ga7Ds2Fk9Jw4Lq1Zx6Cv3N')
      dlr.event.timestamp = new Date().toISOString()
      return JSON.stringify(dlr)
    },
  },
  {
    route: 'Twilio status',
    path: statusPath,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: (state) => {
      return new URLSearchParams({
        AccountSid: TWILIO_SID,
        MessageSid: nextId(state, 'twilio', 'SM0'),
        MessageStatus: 'delivered',
        SmsStatus: 'delivered',
      }).toString()
    },
    sign: (base, tenant, body) => ({
      'x-twilio-signature': twilioSignature(`${base}${statusPath(tenant)}`, body),
    }),
  },
]

export interface LoadResult {
  requests: number
  rps: number
  p50_ms: number
  p99_ms: number
  errors: number
  non_2xx: number
}

/** Drive one route on one server with autocannon for `seconds`. */
export async function drive(
  base: string,
  c: Case,
  state: TargetState,
  connections: number,
  seconds: number,
  tenant = FIXTURE_TENANT,
): Promise<LoadResult> {
  const result = await autocannon({
    url: `${base}${c.path(tenant)}`,
    connections,
    duration: seconds,
    requests: [
      {
        method: c.method ?? 'POST',
        setupRequest: (req) => {
          if (c.method === 'GET') return req
          const body = c.body(state, base, tenant)
          return { ...req, body, headers: { ...c.headers, ...(c.sign ? c.sign(base, tenant, body) : {}) } }
        },
        ...(c.onBody ? { onResponse: (_status: number, body: string) => c.onBody?.(state, body) } : {}),
      },
    ],
  })
  return {
    requests: result.requests.total,
    rps: Math.round(result.requests.average),
    p50_ms: result.latency.p50,
    p99_ms: result.latency.p99,
    errors: result.errors + result.timeouts,
    non_2xx: result.non2xx,
  }
}

/** One counted request: the D1/KV calls it made before and after its reply. */
export async function probe(
  base: string,
  c: Case,
  state: TargetState,
  tenant = FIXTURE_TENANT,
): Promise<{ status: number; beforeReply: CallCounts; afterReply: CallCounts }> {
  const id = randomUUID()
  const body = c.method === 'GET' ? undefined : c.body(state, base, tenant)
  const res = await fetch(`${base}${c.path(tenant)}`, {
    method: c.method ?? 'POST',
    headers: { ...c.headers, ...(body && c.sign ? c.sign(base, tenant, body) : {}), 'x-bench-probe': id },
    body,
  })
  const text = await res.text()
  if (c.onBody) c.onBody(state, text)
  // Let work the Worker handed to waitUntil finish before reading the after-reply counts.
  await new Promise((resolve) => setTimeout(resolve, 300))
  const countsRes = await fetch(`${base}/__bench/probe/${id}`)
  if (!countsRes.ok)
    throw new Error(
      `probe ${c.route}: HTTP ${res.status} ${text.slice(0, 300)}; counts: ${await countsRes.text()}`,
    )
  const counts = (await countsRes.json()) as {
    beforeReply: CallCounts
    afterReply: CallCounts
  }
  return { status: res.status, ...counts }
}

/** X-Twilio-Signature: base64 HMAC-SHA1 of the URL followed by the sorted form parameters. */
function twilioSignature(url: string, body: string): string {
  const params = [...new URLSearchParams(body)].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  const data = url + params.map(([k, v]) => k + v).join('')
  return createHmac('sha1', TWILIO_TOKEN).update(data).digest('base64')
}
