import { describe, expect, it } from 'vitest'
import { FIXTURE_TENANT, OTHER_TENANT } from '../support/constants'
import { basicEventManager, scgEnvelope, viaWorker } from '../support/event-manager'
import { ci360Fake } from '../support/fake-control'
import { rows } from '../support/rows'
import { cacheIdentity, globalWebhookVars, webhookTenant } from '../support/scg-webhook'
import { envWith, json } from '../support/worker'

type Tenant = ReturnType<typeof webhookTenant>

function tenantRoute(t: Tenant, testEnv = envWith([t])) {
  return basicEventManager(viaWorker(testEnv), t)
}

function globalRoute(tenants: Tenant[], extra: Record<string, unknown> = {}) {
  const global = globalWebhookVars(extra)
  return basicEventManager(viaWorker(envWith(tenants, global.vars)), { webhook: global.webhook })
}

const withExternalId = (id: string, state = 'DELIVERED') =>
  scgEnvelope('scg-status-delivered', (e) => {
    e.event['fld-val-list'].external_message_request_id = id
    e.event['fld-val-list'].new_state = state
  })

const moFrom = (from: string, body = 'Yes, see you then!') =>
  scgEnvelope('scg-mo-text', (e) => {
    e.event['fld-val-list'].from_address = from
    e.event['fld-val-list'].message_body = body
  })

describe('SCG webhook: status events', () => {
  it('ids without identity parts are IGNORED and nothing is claimed or injected', async () => {
    const t = webhookTenant()
    const em = tenantRoute(t)
    for (const id of ['', 'single-part', `|TSK_1|${FIXTURE_TENANT}`]) {
      const envelope = withExternalId(id)
      expect(await json(await em.deliver(envelope))).toEqual({
        status: 'IGNORED',
        event_id: envelope['event-id'],
        reason: 'external_message_request_id carries no identity',
      })
      expect(await rows.scgWebhookEvent(envelope['event-id'])).toBeNull()
    }
    expect(await ci360Fake.requests(t.ci360Key)).toHaveLength(0)
  })

  it('two-part ids (Java agent) use the route tenant, or tenant_id on the global route', async () => {
    const t = webhookTenant()
    const [one, two] = [withExternalId('dh-1|TSK_9'), withExternalId('dh-2|TSK_8')]
    expect((await json(await tenantRoute(t).deliver(one))).status).toBe('OK')
    expect((await json(await globalRoute([t]).deliver(two))).status).toBe('OK')
    expect((await ci360Fake.requests(t.ci360Key)).map((r) => r.body)).toEqual([
      {
        eventName: 'SMS Delivered',
        datahub_id: 'dh-1',
        externalCode: 'TSK_9',
        connector_event_id: `scg:${one['event-id']}`,
      },
      {
        eventName: 'SMS Delivered',
        datahub_id: 'dh-2',
        externalCode: 'TSK_8',
        connector_event_id: `scg:${two['event-id']}`,
      },
    ])
  })

  it('on the global route a two-part id without tenant_id, or an unknown tenant, is IGNORED', async () => {
    const t = webhookTenant()
    const noDefault = await globalRoute([t], { tenant_id: '' }).deliver(withExternalId('dh-1|TSK_9'))
    expect((await json(noDefault)).reason).toBe(
      'no tenant: the external id names none and tenant_id is not set',
    )
    const unknown = await globalRoute([t]).deliver(withExternalId('dh-1|TSK_9|aaaaaaaaaaaaaaaaaaaaaaaa'))
    expect(await json(unknown)).toMatchObject({
      status: 'IGNORED',
      reason: 'the tenant of the event is not configured',
    })
    expect(await ci360Fake.requests(t.ci360Key)).toHaveLength(0)
  })

  it('the global route injects into the tenant named by the id; a tenant route never into another', async () => {
    const a = webhookTenant(FIXTURE_TENANT)
    const b = webhookTenant(OTHER_TENANT)
    const idOfB = `dh-b|TSK_2|${OTHER_TENANT}`
    const ofB = withExternalId(idOfB)
    expect((await json(await globalRoute([a, b]).deliver(ofB))).status).toBe('OK')
    const crossed = await tenantRoute(a, envWith([a, b])).deliver(withExternalId(idOfB))
    expect(await json(crossed)).toMatchObject({
      status: 'IGNORED',
      reason: 'the event belongs to another tenant',
    })
    expect(await ci360Fake.requests(a.ci360Key)).toHaveLength(0)
    const toB = await ci360Fake.requests(b.ci360Key)
    expect(toB.map((r) => r.body)).toEqual([
      {
        eventName: 'SMS Delivered',
        datahub_id: 'dh-b',
        externalCode: 'TSK_2',
        connector_event_id: `scg:${ofB['event-id']}`,
      },
    ])
    expect(toB[0]?.headers.client_id).toBe(OTHER_TENANT)
  })

  it('any new_state works when mapped (CONVERTED, CLICKTHRU); unmapped or inherited names are IGNORED', async () => {
    const t = webhookTenant(FIXTURE_TENANT, {
      scg_response_event_CONVERTED: 'SMS Converted',
      scg_response_event_CLICKTHRU: 'SMS Clickthru',
    })
    const em = tenantRoute(t)
    const id = `dh-1|TSK_1|${FIXTURE_TENANT}`
    for (const state of ['CONVERTED', 'CLICKTHRU']) {
      expect((await json(await em.deliver(withExternalId(id, state)))).status).toBe('OK')
    }
    for (const state of ['SENT', 'constructor', '__proto__', 'delivered']) {
      const res = await json(await em.deliver(withExternalId(id, state)))
      expect(res).toMatchObject({ status: 'IGNORED', reason: `no scg_response_event_${state} is configured` })
    }
    expect((await ci360Fake.requests(t.ci360Key)).map((r) => r.body.eventName)).toEqual([
      'SMS Converted',
      'SMS Clickthru',
    ])
  })

  it('ci360_include_status_details adds message_id, new_state and reason_code', async () => {
    const t = webhookTenant(FIXTURE_TENANT, { ci360_include_status_details: 'true' })
    const failed = scgEnvelope('scg-status-failed')
    await tenantRoute(t).deliver(failed)
    expect((await ci360Fake.requests(t.ci360Key)).map((r) => r.body)).toEqual([
      {
        eventName: 'SMS Failed',
        datahub_id: '8b4e1d07-3c9a-3f25-a6e8-1f0c7d2b9e54',
        externalCode: 'TSK_1190',
        message_id: 'Pz2Kc7Vm0Nq5Xb8Lw3Rj6T',
        new_state: 'FAILED',
        reason_code: '1014',
        connector_event_id: `scg:${failed['event-id']}`,
      },
    ])
  })
})

describe('SCG webhook: replies (MO)', () => {
  it('JSON scalars and non-postback JSON are plain text; only {"postbackData": "…"} is a postback', async () => {
    const t = webhookTenant(FIXTURE_TENANT, { scg_mo_body_uppercase: 'true' })
    await cacheIdentity('+14155550201', 'dh-scalars')
    const em = tenantRoute(t)
    const bodies = [
      '1',
      'true',
      'null',
      '[1]',
      '"hi"',
      '{"text":"x"}',
      '{"postbackData":5}',
      '{"postbackData":"OK_1"}',
      'NaN',
      '{bad',
    ]
    for (const b of bodies)
      expect((await json(await em.deliver(moFrom('+14155550201', b)))).status).toBe('OK')
    expect((await ci360Fake.requests(t.ci360Key)).map((r) => r.body.message_body)).toEqual([
      '1',
      'TRUE',
      'NULL',
      '[1]',
      '"HI"',
      '{"TEXT":"X"}',
      '{"POSTBACKDATA":5}',
      'OK_1',
      'NAN',
      '{BAD',
    ])
  })

  it('an uncached sender with a blank identity_field is IGNORED', async () => {
    const t = webhookTenant()
    const envelope = moFrom('+14155550999')
    expect(await json(await tenantRoute(t).deliver(envelope))).toEqual({
      status: 'IGNORED',
      event_id: envelope['event-id'],
      reason: 'the sender is not in the identity cache and identity_field is blank',
    })
    expect(await ci360Fake.requests(t.ci360Key)).toHaveLength(0)
  })

  it('the cached tenant decides: global route injects there, another tenant’s route ignores it', async () => {
    const a = webhookTenant(FIXTURE_TENANT)
    const b = webhookTenant(OTHER_TENANT, { scg_mo_event: 'Reply B' })
    await cacheIdentity('+14155550202', 'dh-of-b', OTHER_TENANT)
    const reply = moFrom('+14155550202')
    expect((await json(await globalRoute([a, b]).deliver(reply))).status).toBe('OK')
    const crossed = await tenantRoute(a, envWith([a, b])).deliver(moFrom('+14155550202'))
    expect(await json(crossed)).toMatchObject({
      status: 'IGNORED',
      reason: 'the sender belongs to another tenant',
    })
    expect(await ci360Fake.requests(a.ci360Key)).toHaveLength(0)
    expect((await ci360Fake.requests(b.ci360Key)).map((r) => r.body)).toEqual([
      {
        eventName: 'Reply B',
        datahub_id: 'dh-of-b',
        message_body: 'Yes, see you then!',
        connector_event_id: `scg:${reply['event-id']}`,
      },
    ])
  })

  it('channel comes from the route’s scg_channel_senders and is sent only when mapped', async () => {
    const senders = JSON.stringify({ Fh6Kp2Xq9Lm4Tz7Rv1Nc3B: 'WhatsApp' })
    await cacheIdentity('+14155550203', 'dh-chan')
    const t = webhookTenant(FIXTURE_TENANT, { scg_channel_senders: senders })
    const mapped = moFrom('+14155550203')
    await tenantRoute(t).deliver(mapped)
    const other = moFrom('+14155550203')
    other.event['fld-val-list'].sender_id_id = 'constructor'
    await tenantRoute(t).deliver(other)
    const u = webhookTenant()
    const global = moFrom('+14155550203')
    await globalRoute([u], { scg_channel_senders: senders }).deliver(global)
    const expected = { eventName: 'Inbound SMS', datahub_id: 'dh-chan', message_body: 'Yes, see you then!' }
    const id = (e: any) => ({ connector_event_id: `scg:${e['event-id']}` })
    expect((await ci360Fake.requests(t.ci360Key)).map((r) => r.body)).toEqual([
      { ...expected, channel: 'WhatsApp', ...id(mapped) },
      { ...expected, ...id(other) },
    ])
    expect((await ci360Fake.requests(u.ci360Key)).map((r) => r.body)).toEqual([
      { ...expected, channel: 'WhatsApp', ...id(global) },
    ])
  })

  it('no scg_mo_event for the tenant → IGNORED', async () => {
    const t = webhookTenant(FIXTURE_TENANT, { scg_mo_event: '' })
    await cacheIdentity('+14155550204', 'dh-x')
    expect(await json(await tenantRoute(t).deliver(moFrom('+14155550204')))).toMatchObject({
      status: 'IGNORED',
      reason: 'scg_mo_event is not configured',
    })
  })
})
