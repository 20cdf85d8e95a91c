import { beforeEach, describe, expect, it } from 'vitest'
import { claimLeaseMs } from '../../src/outbound/pipeline'
import { scgFake, twilioFake } from '../support/fake-control'
import { outboundEvent } from '../support/fixtures'
import { createHarness } from '../support/harness'
import { rows, wipeTables } from '../support/rows'
import { twilioTenant } from '../support/twilio'
import { fakes, json, testTenant } from '../support/worker'

/**
 * Slow is not down (docs/guarantees.md): after a send whose outcome we could not see, and for a claim a
 * Worker never finished, the provider is asked before anything is sent again. Exactly one message
 * reaches the phone however late the provider answers.
 */

const SCG_PATH = '/scg-external-api/api/v1/messaging/message_requests'
/** The fake answers 2.5 s after creating the message; the tenants give up after 1 s. */
const LATE = { acceptLateMs: 2500 }
const unavailable = { status: 503, body: { error_code: 'SCG_ERROR_5030', error_description: 'busy' } }

beforeEach(wipeTables)

/** What the fake SCG holds for an external id (what really went out). */
async function scgCreated(token: string, externalId: string) {
  const res = await fetch(`${fakes().scg}${SCG_PATH}?external_id=${encodeURIComponent(externalId)}`, {
    headers: { authorization: `Bearer ${token}` },
  })
  return (await res.json()) as { list: { id: string }[]; total: number }
}

async function twilioCreated(accountSid: string, authToken: string, to: string) {
  const res = await fetch(
    `${fakes().twilio}/2010-04-01/Accounts/${accountSid}/Messages.json?To=${encodeURIComponent(to)}`,
    { headers: { authorization: `Basic ${btoa(`${accountSid}:${authToken}`)}` } },
  )
  return (await res.json()) as { messages: { sid: string }[] }
}

function scgSetup() {
  const t = testTenant()
  const h = createHarness([t], { via: 'app' })
  const event = outboundEvent('outbound-sms', { now: h.clock.now() })
  const externalId = `${event.identityId}|TSK_1187|${t.id}|${event.guid}`
  return { t, h, clock: h.clock, event, externalId }
}

describe('SCG: a provider that accepts but answers after provider_timeout_ms', () => {
  it('first try times out → QUEUED; the cron finds the message by external_id and sends nothing more', async () => {
    const { t, clock, h, event, externalId } = scgSetup()
    await scgFake.script(t.scgToken, [LATE])
    const res = await h.post.scg(t, event)
    expect(res.status).toBe(202)
    expect((await json(res)).status).toBe('QUEUED')
    expect(await rows.delivery(event.guid)).toMatchObject({ state: 'queued', outcome_unknown: 1 })

    clock.set((await rows.failedRequest(event.guid)).next_attempt_at)
    const report = await h.runCron()
    expect(report).toMatchObject({ attempted: 1, states: { done: 1 } })
    const lookups = await scgFake.requests(`lookup:${t.scgToken}`)
    expect(lookups.map((l) => l.body)).toEqual([{ external_id: externalId }])
    const created = await scgCreated(t.scgToken, externalId)
    expect(created.total).toBe(1)
    expect(await scgFake.requests(t.scgToken)).toHaveLength(1)
    const row = await rows.delivery(event.guid)
    expect(row).toMatchObject({
      state: 'sent',
      outcome_unknown: 0,
      provider_message_id: created.list[0]?.id,
      event_body: null,
    })
    expect(JSON.parse(row.history).at(-1).detail).toBe(`found by look-up: message_id ${created.list[0]?.id}`)
    expect(await rows.failedRequest(event.guid)).toMatchObject({ state: 'done' })

    clock.advance(24 * 3600_000)
    await h.runCron()
    expect((await scgCreated(t.scgToken, externalId)).total).toBe(1)
  })

  it('a hang that created nothing: the look-up finds none and the cron sends it, once', async () => {
    const { t, clock, h, event, externalId } = scgSetup()
    await scgFake.script(t.scgToken, [{ hang: true, hangMs: 3000 }])
    expect((await h.post.scg(t, event)).status).toBe(202)
    clock.set((await rows.failedRequest(event.guid)).next_attempt_at)
    expect((await h.runCron()).states.done).toBe(1)
    expect(await scgFake.requests(`lookup:${t.scgToken}`)).toHaveLength(1)
    const created = await scgCreated(t.scgToken, externalId)
    expect(created.total).toBe(1)
    expect(await rows.delivery(event.guid)).toMatchObject({
      state: 'sent',
      provider_message_id: created.list[0]?.id,
      outcome_unknown: 0,
    })
  })

  it('an unambiguous failure (503) is retried as before, without a look-up', async () => {
    const { t, clock, h, event, externalId } = scgSetup()
    await scgFake.script(t.scgToken, [unavailable])
    expect((await h.post.scg(t, event)).status).toBe(202)
    expect(await rows.delivery(event.guid)).toMatchObject({ state: 'queued', outcome_unknown: 0 })
    clock.set((await rows.failedRequest(event.guid)).next_attempt_at)
    expect((await h.runCron()).states.done).toBe(1)
    expect(await scgFake.requests(`lookup:${t.scgToken}`)).toHaveLength(0)
    expect(await scgFake.requests(t.scgToken)).toHaveLength(2)
    expect((await scgCreated(t.scgToken, externalId)).total).toBe(1)
  })

  it('a look-up that fails sends nothing: the delivery is uncertain until a later look-up settles it', async () => {
    const { t, clock, h, event, externalId } = scgSetup()
    await scgFake.script(t.scgToken, [LATE])
    await scgFake.script(`lookup:${t.scgToken}`, [unavailable])
    expect((await h.post.scg(t, event)).status).toBe(202)
    clock.set((await rows.failedRequest(event.guid)).next_attempt_at)
    expect((await h.runCron()).states.pending).toBe(1)
    expect(await scgFake.requests(t.scgToken)).toHaveLength(1)
    expect(await rows.delivery(event.guid)).toMatchObject({
      state: 'uncertain',
      outcome_unknown: 1,
      attempts: 1,
    })

    clock.set((await rows.failedRequest(event.guid)).next_attempt_at)
    expect((await h.runCron()).states.done).toBe(1)
    expect(await scgFake.requests(t.scgToken)).toHaveLength(1)
    expect((await scgCreated(t.scgToken, externalId)).total).toBe(1)
    expect(await rows.delivery(event.guid)).toMatchObject({ state: 'sent', outcome_unknown: 0 })
  })
})

describe('Twilio: a provider that accepts but answers after provider_timeout_ms', () => {
  function setup() {
    const t = twilioTenant()
    const h = createHarness([t], { via: 'app' })
    const event = outboundEvent('outbound-twilio', {
      now: h.clock.now(),
      patch: (e) => (e.externalTenantId = t.id),
    })
    const post = () => h.post.twilio(t, event)
    return { t, h, clock: h.clock, event, post }
  }

  it('the cron lists recent Messages to that recipient from that sender, matches the body, sends nothing', async () => {
    const { t, clock, h, event, post } = setup()
    await twilioFake.script(t.accountSid, [LATE])
    expect((await post()).status).toBe(202)
    const [sent] = await twilioFake.requests(t.accountSid)
    const to = sent?.body.To[0] as string

    clock.set((await rows.failedRequest(event.guid)).next_attempt_at)
    expect((await h.runCron()).states.done).toBe(1)
    expect(await twilioFake.requests(t.accountSid)).toHaveLength(1)
    const [lookup] = await twilioFake.requests(`lookup:${t.accountSid}`)
    expect(lookup?.body).toEqual({ To: to, From: sent?.body.From[0], PageSize: '50' })
    const created = await twilioCreated(t.accountSid, t.authToken, to)
    expect(created.messages).toHaveLength(1)
    expect(await rows.delivery(event.guid)).toMatchObject({
      state: 'sent',
      provider_message_id: created.messages[0]?.sid,
    })
  })

  it('a different body to the same recipient is not taken for ours: it is sent', async () => {
    const { t, clock, h, event, post } = setup()
    await twilioFake.script(t.accountSid, [{ hang: true, hangMs: 3000 }])
    expect((await post()).status).toBe(202)
    const [sent] = await twilioFake.requests(t.accountSid)
    const to = sent?.body.To[0] as string
    // Another message to the same phone from the same sender, moments earlier.
    const other = await fetch(`${fakes().twilio}/2010-04-01/Accounts/${t.accountSid}/Messages.json`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${btoa(`${t.accountSid}:${t.authToken}`)}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ To: to, From: sent?.body.From[0], Body: 'another campaign' }).toString(),
    })
    expect(other.status).toBe(201)

    clock.set((await rows.failedRequest(event.guid)).next_attempt_at)
    expect((await h.runCron()).states.done).toBe(1)
    const created = await twilioCreated(t.accountSid, t.authToken, to)
    expect(created.messages).toHaveLength(2)
    expect((await rows.delivery(event.guid)).provider_message_id).toBe(created.messages[0]?.sid)
  })
})

describe('stuck sends: a sending claim older than its lease', () => {
  /** A claim as a Worker that died right after (or before) calling SCG leaves it. */
  async function abandonedClaim(opts: { sentBeforeDying: boolean; keepBody?: boolean }) {
    const s = scgSetup()
    const tenant = s.h.deps.config.tenant(s.t.id)
    if (!tenant) throw new Error('tenant missing')
    const claim = await s.h.deps.stores.deliveries.claim(
      {
        tenantId: s.t.id,
        guid: s.event.guid,
        provider: 'scg',
        identityId: s.event.identityId,
        externalCode: 'TSK_1187',
        recipientMasked: '+1415*****23',
        generatedTimestamp: s.event.date.generatedTimestamp,
        state: 'sending',
        now: s.clock.now(),
        ...(opts.keepBody === false ? {} : { eventBody: JSON.stringify(s.event) }),
      },
      claimLeaseMs(tenant),
    )
    expect(claim.claimed).toBe(true)
    if (opts.sentBeforeDying) {
      const res = await fetch(`${fakes().scg}${SCG_PATH}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${s.t.scgToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          from: 'channel:Zx8QpLm2RkWc4sTn7YbVhA',
          to: ['+14155550123'],
          body: 'hello',
          external_id: s.externalId,
        }),
      })
      expect(res.status).toBe(200)
    }
    return { ...s, lease: claimLeaseMs(tenant) }
  }

  it('within its lease the claim is left alone', async () => {
    const { clock, h, event, lease } = await abandonedClaim({ sentBeforeDying: false })
    clock.advance(lease - 1000)
    expect((await h.runCron()).uncertain).toBe(0)
    expect(await rows.delivery(event.guid)).toMatchObject({ state: 'sending' })
  })

  it('the message went out before the Worker died: uncertain, then found → sent, nothing re-sent', async () => {
    const { t, clock, h, event, externalId, lease } = await abandonedClaim({ sentBeforeDying: true })
    clock.advance(lease + 1000)
    const report = await h.runCron()
    expect(report).toMatchObject({ uncertain: 1, attempted: 1, states: { done: 1 } })
    const created = await scgCreated(t.scgToken, externalId)
    expect(created.total).toBe(1)
    expect(await scgFake.requests(t.scgToken)).toHaveLength(1)
    const row = await rows.delivery(event.guid)
    expect(row).toMatchObject({ state: 'sent', provider_message_id: created.list[0]?.id })
    expect(JSON.parse(row.history).map((h: any) => h.state)).toEqual(['sending', 'uncertain', 'sent'])
  })

  it('nothing went out: uncertain, not found → sent by the same cron run, once', async () => {
    const { t, clock, h, event, externalId, lease } = await abandonedClaim({ sentBeforeDying: false })
    clock.advance(lease + 1000)
    expect(await h.runCron()).toMatchObject({ uncertain: 1, states: { done: 1 } })
    expect((await scgCreated(t.scgToken, externalId)).total).toBe(1)
    expect(await rows.delivery(event.guid)).toMatchObject({ state: 'sent', attempts: 1 })
  })

  it('the look-up fails: it stays uncertain, nothing is sent, and the operator API shows it', async () => {
    const { t, clock, h, event, lease } = await abandonedClaim({ sentBeforeDying: false })
    await scgFake.script(`lookup:${t.scgToken}`, [], unavailable)
    clock.advance(lease + 1000)
    expect(await h.runCron()).toMatchObject({ uncertain: 1, states: { pending: 1 } })
    expect(await scgFake.requests(t.scgToken)).toHaveLength(0)
    const res = await h.post.admin(t, `/messages/${event.guid}`)
    expect(res.status).toBe(200)
    expect(await json(res)).toMatchObject({ status: 'OK', guid: event.guid, state: 'uncertain' })
    await scgFake.script(`lookup:${t.scgToken}`, [], null)
  })

  it('a claim without a stored body stays uncertain for an operator (never re-sent blindly)', async () => {
    const { t, clock, h, event, lease } = await abandonedClaim({ sentBeforeDying: false, keepBody: false })
    clock.advance(lease + 1000)
    expect(await h.runCron()).toMatchObject({ uncertain: 1, attempted: 0 })
    expect(await rows.delivery(event.guid)).toMatchObject({ state: 'uncertain', outcome_unknown: 1 })
    expect(await rows.failedRequest(event.guid)).toBeNull()
    expect(await scgFake.requests(t.scgToken)).toHaveLength(0)
  })
})

describe('a CI360 redelivery that takes over an abandoned claim', () => {
  it('looks first: the message SCG already has is answered OK with its id, nothing is sent again', async () => {
    const { t, clock, h, event, externalId } = scgSetup()
    const tenant = h.deps.config.tenant(t.id)
    if (!tenant) throw new Error('tenant missing')
    await h.deps.stores.deliveries.claim(
      {
        tenantId: t.id,
        guid: event.guid,
        provider: 'scg',
        identityId: event.identityId,
        externalCode: 'TSK_1187',
        recipientMasked: null,
        generatedTimestamp: event.date.generatedTimestamp,
        state: 'sending',
        now: clock.now(),
      },
      claimLeaseMs(tenant),
    )
    const before = await fetch(`${fakes().scg}${SCG_PATH}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t.scgToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ from: 'channel:X', to: ['+14155550123'], body: 'hi', external_id: externalId }),
    })
    const { id } = (await before.json()) as { id: string }
    clock.advance(claimLeaseMs(tenant) + 1000)

    const res = await h.post.scg(t, event)
    expect(res.status).toBe(200)
    expect(await json(res)).toEqual({ status: 'OK', provider: 'scg', message_id: id, guid: event.guid })
    expect(await scgFake.requests(t.scgToken)).toHaveLength(1)
    expect(await scgFake.requests(`lookup:${t.scgToken}`)).toHaveLength(1)
    expect(await rows.delivery(event.guid)).toMatchObject({ state: 'sent', provider_message_id: id })
  })
})
