import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { BindingCounter, type CallCounts, countD1, countKV } from '../../bench/worker/counter'
import { appWith } from '../support/app'
import { scgEnvelope } from '../support/event-manager'
import { outboundEvent } from '../support/fixtures'
import { genesysTenant, hubSignature256, openMessage } from '../support/genesys'
import { rows } from '../support/rows'
import { webhookTenant } from '../support/scg-webhook'
import { envWith, json } from '../support/worker'

/**
 * The D1 and KV calls one request makes before its reply, counted by the wrapper `npm run bench` puts
 * around the bindings (bench/worker/counter.ts). These are the numbers docs/scaling.md computes the D1
 * ceiling from; work that takes round trips off the response path changes them here, in one place.
 */
const EXPECTED: Record<
  'scgSend' | 'scgWebhook' | 'genesysSend',
  { beforeReply: CallCounts; afterReply: CallCounts }
> = {
  // D1 claim → SCG → D1 update to `sent`, then the reply; after it, the identity mapping's two keys
  // (global and tenant) are read together and, being new, written together.
  scgSend: {
    beforeReply: { d1: 2, kv: 0, d1Sequential: 2, kvSequential: 0, sequential: 2 },
    afterReply: { d1: 0, kv: 4, d1Sequential: 0, kvSequential: 2, sequential: 2 },
  },
  // D1 lookup of the delivery → D1 batch (claim of the event id, stored event, provider status) → CI360,
  // then the reply; the outcome noted for operators (one batch) follows it.
  scgWebhook: {
    beforeReply: { d1: 2, kv: 0, d1Sequential: 2, kvSequential: 0, sequential: 2 },
    afterReply: { d1: 1, kv: 0, d1Sequential: 1, kvSequential: 0, sequential: 1 },
  },
  // A Genesys message: D1 claim → SCG → D1 update to `sent`, then the reply; the stored webhook event
  // follows it (no identity mapping: Genesys messages have no CI360 identity).
  genesysSend: {
    beforeReply: { d1: 2, kv: 0, d1Sequential: 2, kvSequential: 0, sequential: 2 },
    afterReply: { d1: 1, kv: 0, d1Sequential: 1, kvSequential: 0, sequential: 1 },
  },
}

/** Start without any identity mapping (an earlier send may have written the fixture's number). */
async function clearIdentities() {
  const keys = await env.IDENTITY_CACHE.list()
  await Promise.all(keys.keys.map((k) => env.IDENTITY_CACHE.delete(k.name)))
}

/** The app with counted bindings; `send` runs one request and reports its reply and its counts. */
function counted(testEnv: Env) {
  let counter: BindingCounter | undefined
  const current = () => counter
  const { app } = appWith(testEnv, { db: countD1(env.DB, current), kv: countKV(env.IDENTITY_CACHE, current) })
  return async (path: string, init: RequestInit) => {
    counter = new BindingCounter()
    const ctx = createExecutionContext()
    const res = await app.fetch(new Request(`https://connector.example.com${path}`, init), testEnv, ctx)
    counter.markReplied()
    await waitOnExecutionContext(ctx)
    return { res, beforeReply: counter.beforeReply, afterReply: counter.afterReply }
  }
}

describe('binding-call counter: the calls a request waits for', () => {
  it('counts calls made together as one sequential step and calls after the reply apart', async () => {
    const counter = new BindingCounter()
    const db = countD1(env.DB, () => counter)
    const kv = countKV(env.IDENTITY_CACHE, () => counter)
    await Promise.all([db.prepare('SELECT 1 AS one').first(), kv.get('bench-counter-probe')])
    const rows = await db.batch([db.prepare('SELECT 2 AS two'), db.prepare('SELECT ? AS three').bind(3)])
    counter.markReplied()
    await kv.put('bench-counter-probe', 'x', { expirationTtl: 60 })
    expect(rows.map((r) => r.results[0])).toEqual([{ two: 2 }, { three: 3 }])
    expect(counter.beforeReply).toEqual({ d1: 2, kv: 1, d1Sequential: 2, kvSequential: 1, sequential: 2 })
    expect(counter.afterReply).toEqual({ d1: 0, kv: 1, d1Sequential: 0, kvSequential: 1, sequential: 1 })
    expect(await env.IDENTITY_CACHE.get('bench-counter-probe')).toBe('x')
  })

  it('an SCG send, then the Event Manager receipt for it, make the expected D1 and KV calls before replying', async () => {
    const tenant = webhookTenant()
    const send = counted(envWith([tenant]))
    const event = outboundEvent('outbound-sms-oneline')
    await clearIdentities()
    const sent = await send(`/v1/tenants/${tenant.id}/scg/messages`, {
      method: 'POST',
      headers: { 'x-api-key': tenant.apiKey, 'content-type': 'text/plain;charset=UTF-8' },
      body: JSON.stringify(event),
    })
    expect(sent.res.status).toBe(200)
    const reply = await json(sent.res)
    expect(reply).toMatchObject({ status: 'OK', provider: 'scg' })
    const row = () => rows.delivery(event.guid, tenant.id)
    expect((await row())?.state).toBe('sent')
    expect({ beforeReply: sent.beforeReply, afterReply: sent.afterReply }).toEqual(EXPECTED.scgSend)

    // The receipt names the send's message request, as Event Manager's does, so its delivery is found.
    const envelope = scgEnvelope('scg-status-delivered', (e) => {
      e.event['fld-val-list'].message_request_id = reply.message_id
    })
    const receipt = await send(`/v1/webhooks/scg/${tenant.id}`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${btoa(`${tenant.webhook.username}:${tenant.webhook.password}`)}`,
        'content-type': 'application/json; charset=UTF-8',
      },
      body: JSON.stringify(envelope),
    })
    expect(receipt.res.status).toBe(200)
    expect(await json(receipt.res)).toMatchObject({ status: 'OK', event_id: envelope['event-id'] })
    expect((await row())?.provider_status).toBe('DELIVERED')
    // Dedupe keys are scoped by tenant (docs/storage.md, `webhook_events`).
    expect((await rows.scgWebhookEvent(envelope['event-id']))?.event_key).toBe(
      `${tenant.id}/${envelope['event-id']}`,
    )
    expect({ beforeReply: receipt.beforeReply, afterReply: receipt.afterReply }).toEqual(EXPECTED.scgWebhook)
  })
  it('two sends to one number in the same second write the identity mapping once (KV: one write per second per key)', async () => {
    const tenant = webhookTenant()
    const send = counted(envWith([tenant]))
    const first = outboundEvent('outbound-sms-oneline')
    const second = outboundEvent('outbound-sms-oneline')
    expect(second.guid).not.toBe(first.guid)
    await clearIdentities()
    const results = []
    for (const event of [first, second]) {
      const r = await send(`/v1/tenants/${tenant.id}/scg/messages`, {
        method: 'POST',
        headers: { 'x-api-key': tenant.apiKey, 'content-type': 'text/plain;charset=UTF-8' },
        body: JSON.stringify(event),
      })
      expect(r.res.status).toBe(200)
      expect(await json(r.res)).toMatchObject({ status: 'OK', guid: event.guid })
      results.push(r)
    }
    // First send: both keys read (miss) and written; second: both read (same mapping, fresh TTL), no write.
    expect(results.map((r) => r.afterReply.kv)).toEqual([4, 2])
    expect(results.map((r) => r.beforeReply.kv)).toEqual([0, 0])
    const keys = await env.IDENTITY_CACHE.list()
    expect(keys.keys.map((k) => k.name.replace(/\d+$/, 'N')).sort()).toEqual(
      [`phone:+N`, `tenant:${tenant.id}:phone:+N`].sort(),
    )
    const stored = await Promise.all(keys.keys.map((k) => env.IDENTITY_CACHE.get(k.name, 'json')))
    for (const entry of stored)
      expect(entry).toMatchObject({ datahub_id: first.identityId, tenant_id: tenant.id })
  })

  it('a send to a number on the opt-out list: the check rode in the claim, one more D1 write, no provider call', async () => {
    const tenant = webhookTenant()
    const send = counted(envWith([tenant]))
    const event = outboundEvent('outbound-sms-oneline')
    await env.DB.prepare(
      `INSERT OR IGNORE INTO suppressions (tenant_id, address, channel, sender, source, created_at)
       VALUES (?, '+16505550142', 'sms', '', 'operator', 0)`,
    )
      .bind(tenant.id)
      .run()
    const sent = await send(`/v1/tenants/${tenant.id}/scg/messages`, {
      method: 'POST',
      headers: { 'x-api-key': tenant.apiKey, 'content-type': 'text/plain;charset=UTF-8' },
      body: JSON.stringify(event),
    })
    await env.DB.prepare('DELETE FROM suppressions WHERE tenant_id = ?').bind(tenant.id).run()
    expect(await json(sent.res)).toEqual({ status: 'SUPPRESSED', guid: event.guid, reason: 'OPTED_OUT' })
    expect((await rows.delivery(event.guid, tenant.id))?.state).toBe('suppressed')
    // D1 claim (with the check) → D1 update to `suppressed`, then the reply; no suppressed_event is set.
    expect({ beforeReply: sent.beforeReply, afterReply: sent.afterReply }).toEqual({
      beforeReply: { d1: 2, kv: 0, d1Sequential: 2, kvSequential: 0, sequential: 2 },
      afterReply: { d1: 0, kv: 0, d1Sequential: 0, kvSequential: 0, sequential: 0 },
    })
  })

  it('a Genesys Open Messaging send makes the same D1 calls before replying as a CI360 send, and no KV call', async () => {
    const tenant = genesysTenant()
    const send = counted(envWith([tenant]))
    const message = openMessage()
    const raw = JSON.stringify(message)
    const sent = await send(`/v1/genesys/${tenant.id}/open-messaging`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-hub-signature-256': hubSignature256(tenant.outboundSecret, raw),
      },
      body: raw,
    })
    expect(sent.res.status).toBe(200)
    expect(await json(sent.res)).toMatchObject({ status: 'OK', provider: 'scg', id: message.id })
    expect({ beforeReply: sent.beforeReply, afterReply: sent.afterReply }).toEqual(EXPECTED.genesysSend)
    const stored = await rows.inboundEventByKey(tenant.id, 'genesys', message.id)
    expect(stored?.state).toBe('injected')
  })
})
