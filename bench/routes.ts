import { createHmac, randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import autocannon from 'autocannon'
import { CI360_CLIENT_SECRETS, FIXTURE_TENANT } from '../test/support/constants'
import { startChild } from './children'
import { cpuSecondsOf } from './proc'
import { startWranglerDev } from './wrangler-dev'

/**
 * The route benchmark: the Worker under wrangler's dev server (inspector off, local D1/KV), providers
 * faked in a separate process answering at once, and autocannon driving each route at 1, 16 and 64
 * connections. Every request is new work (fresh guid, event-id, MessageSid+status), so the numbers
 * include the D1 claim, the provider call and the CI360 injection, not a DUPLICATE shortcut — except
 * Twilio status callbacks beyond the messages the Twilio case created, which are counted separately.
 */

export interface RouteBenchRow {
  route: string
  connections: number
  requests: number
  rps: number
  p50_ms: number
  p99_ms: number
  errors: number
  non_2xx: number
  /** CPU time of the workerd processes (the Worker plus local D1/KV) per request. */
  workerd_cpu_ms_per_req: number
}

const API_KEY = 'bench-api-key'
const SCG_TOKEN = 'scg-bench-token'
const TWILIO_SID = `AC${'be'.repeat(16)}`
const TWILIO_TOKEN = 'twilio-bench-token'
const WEBHOOK_BASIC = `Basic ${Buffer.from('bench-em:bench-password').toString('base64')}`
const fixture = (name: string) => JSON.parse(readFileSync(`test/fixtures/ci360/${name}`, 'utf8'))

function tenantSecret(urls: Record<string, string>) {
  return {
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
    log_level: 'warn',
  }
}

interface Case {
  method?: 'GET' | 'POST'
  route: string
  path: string
  headers: Record<string, string>
  body: () => string
  onBody?: (body: string) => void
  sign?: (body: string) => Record<string, string>
}

export async function benchRoutes(
  options: { seconds?: number; port?: number } = {},
): Promise<RouteBenchRow[]> {
  const seconds = options.seconds ?? 10
  const providers = await startChild<Record<string, string>>('--serve-providers', {})
  const dev = await startWranglerDev(
    options.port ?? 8788,
    { [`TENANT_${FIXTURE_TENANT}`]: JSON.stringify(tenantSecret(providers.info)), log_level: 'warn' },
    { inspector: false, migrate: true },
  )
  const base = dev.url
  const outbound = (name: string) => {
    const event = fixture(name)
    return () => {
      event.guid = randomUUID()
      event.date.generatedTimestamp = Date.now()
      return JSON.stringify(event)
    }
  }
  const twilioSids: string[] = []
  const status = { first: 0, repeat: 0 }
  let sidIndex = 0
  const statusUrl = `${base}/v1/webhooks/twilio/${FIXTURE_TENANT}/status`
  const dlr = fixture('scg-status-delivered.json')

  const cases: Case[] = [
    // The floor: what wrangler's dev server and the router cost, with no storage or provider call.
    { method: 'GET', route: 'health (floor)', path: '/health', headers: {}, body: () => '' },
    {
      route: 'SCG send',
      path: `/v1/tenants/${FIXTURE_TENANT}/scg/messages`,
      headers: { 'x-api-key': API_KEY, 'content-type': 'text/plain;charset=UTF-8' },
      body: outbound('outbound-sms.json'),
    },
    {
      route: 'Twilio send',
      path: `/v1/tenants/${FIXTURE_TENANT}/twilio/messages`,
      headers: { 'x-api-key': API_KEY, 'content-type': 'text/plain;charset=UTF-8' },
      body: outbound('outbound-twilio.json'),
      onBody: (body) => {
        const id = (JSON.parse(body) as { message_id?: string }).message_id
        if (id) twilioSids.push(id)
      },
    },
    {
      route: 'SCG webhook',
      path: `/v1/webhooks/scg/${FIXTURE_TENANT}`,
      headers: { authorization: WEBHOOK_BASIC, 'content-type': 'application/json; charset=UTF-8' },
      body: () => {
        dlr['event-id'] = randomUUID().replaceAll('-', '').slice(0, 22)
        dlr.event.timestamp = new Date().toISOString()
        return JSON.stringify(dlr)
      },
    },
    {
      route: 'Twilio status',
      path: `/v1/webhooks/twilio/${FIXTURE_TENANT}/status`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: () => {
        const sid = twilioSids[sidIndex % Math.max(1, twilioSids.length)] ?? 'SM0'
        if (sidIndex < twilioSids.length) status.first++
        else status.repeat++
        sidIndex++
        return new URLSearchParams({
          AccountSid: TWILIO_SID,
          MessageSid: sid,
          MessageStatus: 'delivered',
          SmsStatus: 'delivered',
        }).toString()
      },
      sign: (body) => ({ 'x-twilio-signature': twilioSignature(statusUrl, body) }),
    },
  ]

  const rows: RouteBenchRow[] = []
  try {
    for (const c of cases) {
      for (const connections of [1, 16, 64]) {
        const cpuBefore = cpuSecondsOf(dev.workerdPids)
        const row = await drive(base, c, connections, seconds)
        row.workerd_cpu_ms_per_req =
          Math.round(((cpuSecondsOf(dev.workerdPids) - cpuBefore) * 1e4) / row.requests) / 10
        rows.push(row)
        console.log(formatRow(rows.at(-1) as RouteBenchRow))
      }
    }
  } finally {
    await dev.stop()
    await providers.stop()
  }
  console.log(
    `Twilio status callbacks: ${status.first} for new (MessageSid, status) pairs, ${status.repeat} repeats (DUPLICATE)`,
  )
  return rows
}

async function drive(base: string, c: Case, connections: number, seconds: number): Promise<RouteBenchRow> {
  const result = await autocannon({
    url: `${base}${c.path}`,
    connections,
    duration: seconds,
    requests: [
      {
        method: c.method ?? 'POST',
        setupRequest: (req) => {
          if (c.method === 'GET') return req
          const body = c.body()
          return { ...req, body, headers: { ...c.headers, ...(c.sign ? c.sign(body) : {}) } }
        },
        ...(c.onBody ? { onResponse: (_status: number, body: string) => c.onBody?.(body) } : {}),
      },
    ],
  })
  return {
    route: c.route,
    connections,
    requests: result.requests.total,
    rps: Math.round(result.requests.average),
    p50_ms: result.latency.p50,
    p99_ms: result.latency.p99,
    errors: result.errors + result.timeouts,
    non_2xx: result.non2xx,
    workerd_cpu_ms_per_req: 0,
  }
}

/** X-Twilio-Signature: base64 HMAC-SHA1 of the URL followed by the sorted form parameters. */
function twilioSignature(url: string, body: string): string {
  const params = [...new URLSearchParams(body)].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  const data = url + params.map(([k, v]) => k + v).join('')
  return createHmac('sha1', TWILIO_TOKEN).update(data).digest('base64')
}

export const formatRow = (r: RouteBenchRow) =>
  `${r.route.padEnd(14)} ${String(r.connections).padStart(3)} conn  ${String(r.rps).padStart(6)} req/s  p50 ${String(r.p50_ms).padStart(4)} ms  p99 ${String(r.p99_ms).padStart(4)} ms  errors ${r.errors}  non-2xx ${r.non_2xx}  workerd CPU ${r.workerd_cpu_ms_per_req} ms/req`
