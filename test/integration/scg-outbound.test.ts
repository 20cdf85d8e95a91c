import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { FIXTURE_TENANT } from '../support/constants'
import { scgFake } from '../support/fake-control'
import { outboundEvent } from '../support/fixtures'
import { rows } from '../support/rows'
import { envWith, json, postScgMessage as post, testTenant } from '../support/worker'

const delivery = (guid: string, tenant = FIXTURE_TENANT) => rows.delivery(guid, tenant)

describe('SCG outbound: the shared fixtures produce the expected SCG requests', () => {
  const cases = [
    {
      name: 'outbound-sms' as const,
      expected: {
        from: 'channel:Zx8QpLm2RkWc4sTn7YbVhA',
        to: ['+14155550123'],
        body: 'Hi Dana, your table for 2 at Harbor Grill is confirmed for Friday 7:30pm. Reply STOP to opt out.',
        // identity | task | tenant | the event's guid (unique per CI360 event)
        external_id: expect.stringMatching(
          /^3f9d2c71-8a4e-3b6f-9c1d-7e5a2b8f0c13\|TSK_1187\|6b1f0e2a9c4d30018e7a52c4\|[\w-]+$/,
        ),
      },
      phone: '+14155550123',
    },
    {
      name: 'outbound-sms-oneline' as const,
      expected: {
        from: 'channel:Zx8QpLm2RkWc4sTn7YbVhA',
        to: ['+16505550142'],
        body: 'Your Acme verification code is 482913. It expires in 10 minutes.',
      },
      phone: '+16505550142',
    },
    {
      name: 'outbound-mms' as const,
      expected: {
        from: 'channel:Zx8QpLm2RkWc4sTn7YbVhA',
        to: ['+13125550188'],
        media_urls: ['https://cdn.example.com/promos/spring-sale-2025.jpg'],
        // identity | task | tenant | the event's guid (unique per CI360 event)
        external_id: expect.stringMatching(
          /^d05a7c3e-9f12-3b84-8e6d-4c1a0b9f7e28\|TSK_1201\|6b1f0e2a9c4d30018e7a52c4\|[\w-]+$/,
        ),
      },
      phone: '+13125550188',
    },
    {
      name: 'outbound-whatsapp' as const,
      expected: {
        from: 'sender_id:Wq3eR5tY7uI9oP1aS2dF4g',
        to: ['+447700900456'],
        body: 'Hello Priya, your order 88213 has shipped. Track it at https://track.example.com/88213',
        media_urls: ['https://cdn.example.com/receipts/order-88213.pdf'],
      },
      phone: '+447700900456',
    },
  ]

  for (const c of cases) {
    for (const contentType of ['text/plain;charset=UTF-8', 'application/json']) {
      it(`sends ${c.name} (${contentType.split(';')[0]}) and records the delivery`, async () => {
        const t = testTenant()
        const testEnv = envWith([t])
        const event = outboundEvent(c.name)
        const res = await post(testEnv, t.apiKey, event, contentType)
        const body = await json(res)

        expect(res.status).toBe(200)
        expect(body).toMatchObject({ status: 'OK', provider: 'scg', guid: event.guid })
        expect(body.message_id).toMatch(/^[\w-]{22}$/)

        const sent = await scgFake.requests(t.scgToken)
        expect(sent).toHaveLength(1)
        expect(sent[0]?.headers.authorization).toBe(`Bearer ${t.scgToken}`)
        expect(sent[0]?.headers['content-type']).toMatch(/^application\/json/)
        expect(sent[0]?.body).toMatchObject(c.expected)
        expect(sent[0]?.body.external_id).toBe(
          `${event.identityId}|${event.properties.externalCode}|${FIXTURE_TENANT}|${event.guid}`,
        )

        const row = await delivery(event.guid)
        expect(row).toMatchObject({
          state: 'sent',
          provider: 'scg',
          provider_message_id: body.message_id,
          attempts: 1,
        })
        expect(row.identity_id).toBe(event.identityId)

        const cached = await env.IDENTITY_CACHE.get(`phone:${c.phone}`, 'json')
        expect(cached).toMatchObject({ datahub_id: event.identityId, tenant_id: FIXTURE_TENANT })
      })
    }
  }

  it('caches the identity with expirationTtl = cache_ttl (minimum 60 s)', async () => {
    const t = testTenant(FIXTURE_TENANT, { cache_ttl: '30' })
    const event = outboundEvent('outbound-sms-oneline', {
      patch: (e) => {
        e.impression.creativeContent = 'TO:+16505550999;Ttl check'
      },
    })
    const before = Math.floor(Date.now() / 1000)
    expect((await post(envWith([t]), t.apiKey, event)).status).toBe(200)
    const listed = await env.IDENTITY_CACHE.list({ prefix: 'phone:+16505550999' })
    const expiration = listed.keys[0]?.expiration ?? 0
    expect(expiration).toBeGreaterThanOrEqual(before + 60)
    expect(expiration).toBeLessThanOrEqual(before + 62)
  })
})

describe('SCG outbound: sender and channel rules', () => {
  const creative = (content: string) =>
    outboundEvent('outbound-sms-oneline', {
      patch: (e) => {
        e.impression.creativeContent = content
      },
    })

  it('picks the scg_demo_senders entry with the longest country-code prefix when FROM is absent', async () => {
    const t = testTenant(FIXTURE_TENANT, {
      scg_demo_senders: '{"1":"channel:US","1415":"channel:SF","44":"channel:UK"}',
    })
    await post(envWith([t]), t.apiKey, creative('TO:+14155550123;Hello'))
    await post(envWith([t]), t.apiKey, creative('TO:+16505550142;Hello'))
    await post(envWith([t]), t.apiKey, creative('TO:+61255550142;Hello'))
    const froms = (await scgFake.requests(t.scgToken)).map((r) => r.body.from)
    expect(froms).toEqual(['channel:SF', 'channel:US', 'channel:DefaultSenderChan000001'])
  })

  it('prefixes WeChat recipients and marks JSON RCS bodies with the raw-message content type', async () => {
    const t = testTenant()
    await post(envWith([t]), t.apiKey, creative('TO:wxid_abc123;CHANNEL:WeChat;Hello'))
    await post(envWith([t]), t.apiKey, creative('TO:+14155550123;CHANNEL:RCS;{"text":"hi"}'))
    const [wechat, rcs] = (await scgFake.requests(t.scgToken)).map((r) => r.body)
    expect(wechat.to).toEqual(['we:@wxid_abc123'])
    expect(wechat.content_type).toBeUndefined()
    expect(rcs.to).toEqual(['+14155550123'])
    expect(rcs.content_type).toBe('application/vnd.scg.grcs.raw-message')
  })

  it('answers 400 INVALID_CREATIVE when no sender can be chosen, without calling SCG', async () => {
    const t = testTenant(FIXTURE_TENANT, { scg_default_sender: '' })
    const res = await post(envWith([t]), t.apiKey, creative('TO:+14155550123;Hello'))
    expect(res.status).toBe(400)
    expect((await json(res)).error).toMatchObject({ code: 'INVALID_CREATIVE', field: 'FROM' })
    expect(await scgFake.requests(t.scgToken)).toHaveLength(0)
  })
})
