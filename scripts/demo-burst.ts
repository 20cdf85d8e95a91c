/**
 * npm run demo, step 18: a campaign burst into a tenant with `send_mode = "queued"` (docs/pacing.md). CI360
 * gets 202 ACCEPTED for every event at once; the Worker's queue sends them to SCG at the sender's pace
 * (5 segments/s, enforced by the fake SCG as SCG does: over it, a message is accepted and then failed
 * with reason 1039). The same burst through the `sync` demo tenant shows what pacing prevents.
 */
import { randomUUID } from 'node:crypto'
import type { DemoKit } from './demo-opt-out'

const CAMPAIGN = {
  tenant: 'campaign_demo',
  apiKey: 'demo-campaign-ci360-key',
  scgToken: 'scg-campaign-demo-token',
  sender: 'channel:DemoCampaignSender0001',
  mps: 5,
}
const BURST = 20

interface Stats {
  accepted: number
  overRate: number
  bySender: Record<string, { firstAt: number; lastAt: number; maxPerSecond: number }>
}

const stats = async (scg: string, key: string): Promise<Stats> =>
  (await (await fetch(`${scg}/__control/stats?key=${encodeURIComponent(key)}`)).json()) as Stats

async function limit(scg: string, key: string, sender: string) {
  await fetch(`${scg}/__control/reset`, { method: 'POST', body: JSON.stringify({ key }) })
  await fetch(`${scg}/__control/rate`, {
    method: 'POST',
    body: JSON.stringify({ key, senders: { [sender]: { mps: CAMPAIGN.mps } } }),
  })
}

/** `BURST` copies of the one-line SMS fixture for `tenant`, from `sender`, sent at once. */
async function burst(kit: DemoKit, tenant: string, apiKey: string, sender: string) {
  const events = Array.from({ length: BURST }, () => {
    const e = kit.fixture('outbound-sms-oneline.json')
    e.guid = randomUUID()
    e.externalTenantId = tenant
    e.date.generatedTimestamp = Date.now()
    e.impression.creativeContent = e.impression.creativeContent.replace(/FROM:[^;]*;/, `FROM:${sender};`)
    return e
  })
  const started = Date.now()
  const replies = await Promise.all(
    events.map((e) =>
      kit.worker(`/v1/tenants/${tenant}/scg/messages`, JSON.stringify(e), {
        'x-api-key': apiKey,
        'content-type': 'text/plain;charset=UTF-8',
      }),
    ),
  )
  const counts: Record<string, number> = {}
  for (const r of replies) {
    const k = `${r.status} ${r.json?.status ?? '?'}`
    counts[k] = (counts[k] ?? 0) + 1
  }
  return { counts, ms: Date.now() - started }
}

const show = (counts: Record<string, number>) =>
  Object.entries(counts)
    .map(([k, n]) => `${n}× ${k}`)
    .join(', ')

export async function burstLeg(
  kit: DemoKit,
  demoTenant: { tenant: string; apiKey: string; scgToken: string },
) {
  kit.step(
    `18. A campaign burst of ${BURST} SMS: sync passes it straight on, queued paces it to ${CAMPAIGN.mps} segments/s`,
  )
  const syncSender = 'channel:Zx8QpLm2RkWc4sTn7YbVhA'
  await limit(kit.fakes.scg, demoTenant.scgToken, syncSender)
  const sync = await burst(kit, demoTenant.tenant, demoTenant.apiKey, syncSender)
  const s = await stats(kit.fakes.scg, demoTenant.scgToken)
  kit.hop(
    'CI360',
    'Worker',
    `sync tenant: ${show(sync.counts)} in ${sync.ms} ms`,
    (sync.counts['200 OK'] ?? 0) === BURST,
  )
  kit.hop(
    'Worker',
    'SCG',
    `${s.accepted} accepted, ${s.overRate} over the sender's rate (SCG fails those later: reason 1039)`,
    s.overRate > 0,
  )

  await limit(kit.fakes.scg, CAMPAIGN.scgToken, CAMPAIGN.sender)
  const queued = await burst(kit, CAMPAIGN.tenant, CAMPAIGN.apiKey, CAMPAIGN.sender)
  kit.hop(
    'CI360',
    'Worker',
    `queued tenant: ${show(queued.counts)} in ${queued.ms} ms`,
    (queued.counts['202 ACCEPTED'] ?? 0) === BURST,
  )
  let q = await stats(kit.fakes.scg, CAMPAIGN.scgToken)
  const deadline = Date.now() + (BURST / CAMPAIGN.mps) * 1000 + 20_000
  while (q.accepted < BURST && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250))
    q = await stats(kit.fakes.scg, CAMPAIGN.scgToken)
  }
  const own = q.bySender[CAMPAIGN.sender]
  const seconds = own ? (own.lastAt - own.firstAt) / 1000 : 0
  kit.hop(
    'Queue',
    'SCG',
    `${q.accepted} sent over ${seconds.toFixed(1)} s (at most ${own?.maxPerSecond ?? 0} in any second), ${q.overRate} over the rate`,
    q.accepted === BURST && q.overRate === 0,
    own?.lastAt,
  )
  const sent = (
    (await (await fetch(`${kit.fakes.ci360}/__control/requests?key=/campaign-demo`)).json()) as any[]
  ).filter((r) => r.body?.eventName === 'SMS Sent')
  kit.hop(
    'Worker',
    'CI360 events',
    `${sent.length}× SMS Sent (guid, RTC, message id, segments)`,
    sent.length === BURST,
  )
}
