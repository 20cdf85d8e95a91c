/**
 * npm run demo, steps 15–17: a customer texts STOP, CI360's next SMS to them is SUPPRESSED (no provider
 * call), and START lifts it again (docs/compliance.md). Uses the demo tenant of `.dev.vars.example`,
 * whose `opt_out_event`, `opt_in_event` and `suppressed_event` name the CI360 events shown here.
 */
import { randomUUID } from 'node:crypto'

export interface DemoKit {
  tenant: string
  apiKey: string
  webhookBasic: string
  scgToken: string
  fakes: { ci360: string; scg: string }
  step(title: string): number
  hop(from: string, to: string, what: string, ok?: boolean, at?: number): void
  worker(
    path: string,
    body: string,
    headers: Record<string, string>,
  ): Promise<{ status: number; text: string; json: any }>
  fixture(name: string): any
}

const CUSTOMER = '+14155550123'

/** Every request a fake recorded for `key` since `after` (the fake's receive time). */
async function requestsSince(fake: string, key: string, after: number): Promise<any[]> {
  const log = (await (
    await fetch(`${fake}/__control/requests?key=${encodeURIComponent(key)}`)
  ).json()) as any[]
  return log.filter((r) => r.at >= after)
}

/** Poll until the fake has `n` requests since `after`, named `eventName` if given (3 s at most). */
async function waitFor(
  fake: string,
  key: string,
  after: number,
  n: number,
  eventName?: string,
): Promise<any[]> {
  for (let i = 0; i < 30; i++) {
    const got = await requestsSince(fake, key, after)
    const named = eventName ? got.filter((r) => r.body?.eventName === eventName) : got
    if (named.length >= n) return got
    await new Promise((r) => setTimeout(r, 100))
  }
  return requestsSince(fake, key, after)
}

async function customerTexts(kit: DemoKit, word: string, expected: string[]) {
  const since = kit.step(
    word === 'STOP'
      ? '15. The customer texts STOP: the number is suppressed before the webhook is answered'
      : '17. The customer texts START: the opt-out is lifted',
  )
  const mo = kit.fixture('scg-mo-text.json')
  mo['event-id'] = randomUUID().replaceAll('-', '').slice(0, 22)
  mo.event.timestamp = new Date().toISOString()
  mo.event['fld-val-list'].from_address = CUSTOMER
  mo.event['fld-val-list'].message_body = word
  kit.hop('Event Manager', 'Worker', `POST /v1/webhooks/scg/${kit.tenant} (mo_message_received "${word}")`)
  const reply = await kit.worker(`/v1/webhooks/scg/${kit.tenant}`, JSON.stringify(mo), {
    authorization: kit.webhookBasic,
    'content-type': 'application/json; charset=UTF-8',
  })
  for (const name of expected) await waitFor(kit.fakes.ci360, '/demo', since, 1, name)
  // Only this step's events (the step starts a few ms early, see `step`).
  const events = (await requestsSince(kit.fakes.ci360, '/demo', since)).filter((e) =>
    expected.includes(e.body?.eventName),
  )
  const names = events.map((e) => e.body?.eventName)
  for (const e of events) {
    const { eventName, keyword, channel } = e.body ?? {}
    kit.hop(
      'Worker',
      'CI360 events',
      `${eventName}${keyword ? ` keyword=${keyword} channel=${channel}` : ''}`,
      true,
      e.at,
    )
  }
  kit.hop(
    'Worker',
    'Event Manager',
    `${reply.status} ${reply.text}`,
    reply.json?.status === 'OK' && expected.every((n) => names.includes(n)),
  )
}

async function campaignSms(kit: DemoKit, title: string, expectSuppressed: boolean) {
  const since = kit.step(title)
  const sms = kit.fixture('outbound-sms.json')
  sms.guid = randomUUID()
  sms.date.generatedTimestamp = Date.now()
  kit.hop('CI360', 'Worker', `POST /v1/tenants/${kit.tenant}/scg/messages (the next campaign SMS)`)
  const reply = await kit.worker(`/v1/tenants/${kit.tenant}/scg/messages`, JSON.stringify(sms), {
    'x-api-key': kit.apiKey,
    'content-type': 'text/plain;charset=UTF-8',
  })
  await new Promise((r) => setTimeout(r, 300))
  const sends = await requestsSince(kit.fakes.scg, kit.scgToken, since)
  kit.hop(
    'Worker',
    'SCG',
    sends.length === 0 ? 'no request (suppressed)' : `POST message_requests ×${sends.length}`,
    expectSuppressed ? sends.length === 0 : sends.length === 1,
  )
  if (expectSuppressed) {
    // The step starts a few ms early (`step`): pick the suppressed event, not the last step's MO event.
    const events = await waitFor(kit.fakes.ci360, '/demo', since, 1, 'SMS Suppressed')
    const event = events.find((e) => e.body?.eventName === 'SMS Suppressed')
    kit.hop(
      'Worker',
      'CI360 events',
      event ? `${event.body.eventName} reason=${event.body.reason}` : 'no event',
      event !== undefined,
      event?.at,
    )
  }
  const status = expectSuppressed ? 'SUPPRESSED' : 'OK'
  kit.hop('Worker', 'CI360', `${reply.status} ${reply.text}`, reply.json?.status === status)
}

/** Steps 15–17. The list is left as it was found (START lifts the keyword entry). */
export async function optOutLeg(kit: DemoKit) {
  await customerTexts(kit, 'STOP', ['SMS Opt-Out', 'Inbound SMS'])
  await campaignSms(kit, '16. CI360 sends the next campaign SMS to that number: SUPPRESSED', true)
  await customerTexts(kit, 'START', ['SMS Opt-In', 'Inbound SMS'])
}
