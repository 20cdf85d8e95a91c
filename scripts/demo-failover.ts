/**
 * npm run demo, step 19: provider failover (docs/guarantees.md, "Failover"). The demo tenant
 * `failover_demo` routes SMS to SCG first and Twilio second. SCG starts answering 503: each SMS moves to
 * Twilio at once, and after three faults SCG's breaker opens, so the next SMS goes straight to Twilio.
 * SCG comes back: after `failover_probe_seconds` (5 s here) one SMS probes SCG and closes the breaker.
 */
import { randomUUID } from 'node:crypto'
import type { DemoKit } from './demo-opt-out'

const T = {
  tenant: 'failover_demo',
  apiKey: 'demo-failover-ci360-key',
  adminKey: 'demo-failover-admin-key',
  scgToken: 'scg-failover-demo-token',
}

async function control(fake: string, path: string, body: unknown) {
  await fetch(`${fake}/__control/${path}`, { method: 'POST', body: JSON.stringify(body) })
}

async function sms(kit: DemoKit, workerUrl: string, label: string, expected: 'scg' | 'twilio') {
  const e = kit.fixture('outbound-sms-oneline.json')
  e.guid = randomUUID()
  e.externalTenantId = T.tenant
  e.date.generatedTimestamp = Date.now()
  const reply = await kit.worker(`/v1/tenants/${T.tenant}/scg/messages`, JSON.stringify(e), {
    'x-api-key': T.apiKey,
    'content-type': 'text/plain;charset=UTF-8',
  })
  const record = (await (
    await fetch(`${workerUrl}/v1/tenants/${T.tenant}/messages/${e.guid}`, {
      headers: { 'x-api-key': T.adminKey },
    })
  ).json()) as { route_attempts?: { provider: string; outcome: string }[] }
  const chain = (record.route_attempts ?? [])
    .map((a) => `${a.provider} ${a.outcome.split(':')[0]}`)
    .join(' → ')
  kit.hop(
    'Worker',
    reply.json?.provider === 'twilio' ? 'Twilio' : 'SCG',
    `${label}: ${reply.status} ${reply.json?.status} via ${reply.json?.provider ?? '?'} (${chain || 'no chain'})`,
    reply.json?.status === 'OK' && reply.json?.provider === expected,
  )
}

export async function failoverLeg(kit: DemoKit, workerUrl: string) {
  kit.step('19. Failover: SCG goes down, Twilio takes over without a double send, then SCG comes back')
  const err503 = { status: 503, body: { error_code: '5030', error_description: 'Service Unavailable' } }
  await control(kit.fakes.scg, 'reset', { key: T.scgToken })
  await control(kit.fakes.scg, 'script', { key: T.scgToken, responses: [], mode: err503 })
  for (const n of [1, 2, 3]) await sms(kit, workerUrl, `SMS ${n}, SCG answers 503`, 'twilio')
  await sms(kit, workerUrl, 'SMS 4, breaker open', 'twilio')
  const scgCalls = (
    (await (await fetch(`${kit.fakes.scg}/__control/requests?key=${T.scgToken}`)).json()) as unknown[]
  ).length
  kit.hop('Worker', 'SCG', `${scgCalls} calls to SCG for 4 SMS (the 4th skipped it)`, scgCalls === 3)

  await control(kit.fakes.scg, 'script', { key: T.scgToken, responses: [], mode: null })
  kit.hop('Demo', 'SCG', 'SCG is back; waiting 5 s (failover_probe_seconds) for the probe')
  await new Promise((r) => setTimeout(r, 5_500))
  await sms(kit, workerUrl, 'SMS 5, the probe', 'scg')
  await sms(kit, workerUrl, 'SMS 6, breaker closed', 'scg')
}
