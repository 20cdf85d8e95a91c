import { env } from 'cloudflare:workers'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { FIXTURE_TENANT } from '../support/constants'
import { scgFake, twilioFake } from '../support/fake-control'
import { outboundEvent } from '../support/fixtures'
import { postTwilioMessage, twilioErrorBody, twilioTenant } from '../support/twilio'
import { call, envWith, testTenant } from '../support/worker'

/**
 * A provider's error description that echoes, unquoted, parts of the message body and the recipient's
 * digits: the 422 reply, the stored `last_error` (delivery and failed request), the delivery history and
 * the log lines keep the provider's code and none of what was sent (docs/storage.md, "Provider error text").
 */

const row = (table: 'deliveries' | 'failed_requests', guid: string) =>
  env.DB.prepare(`SELECT * FROM ${table} WHERE tenant_id = ? AND guid = ?`)
    .bind(FIXTURE_TENANT, guid)
    .first<any>()

function captureLogs(): string[] {
  const lines: string[] = []
  for (const level of ['log', 'warn', 'error'] as const)
    vi.spyOn(console, level).mockImplementation((text: unknown) => void lines.push(String(text)))
  return lines
}

async function storedTexts(guid: string) {
  const delivery = await row('deliveries', guid)
  const failed = await row('failed_requests', guid)
  expect(delivery).toMatchObject({ state: 'rejected' })
  expect(failed).toMatchObject({ state: 'dead' })
  return { delivery, failed, texts: [delivery.last_error, delivery.history, failed.last_error] as string[] }
}

afterEach(() => vi.restoreAllMocks())

describe('provider error text is redacted against the message that was sent', () => {
  // outbound-sms: to +14155550123, "Hi Dana, your table for 2 at Harbor Grill is confirmed for Friday 7:30pm. …"
  const scgLeaks = [/Harbor Grill/i, /is confirmed/i, /Friday/i, /4155550123/, /555-?0123/, /4155/]

  it('SCG: an unquoted body fragment and the number in error_description → 422 and stored rows without them', async () => {
    const t = testTenant()
    const description =
      'Message blocked: content harbor grill is confirmed matched a spam pattern for 415-555-0123 (prefix 4155)'
    await scgFake.script(t.scgToken, [
      { status: 400, body: { error_code: '4001', error_description: description } },
    ])
    const lines = captureLogs()
    const event = outboundEvent('outbound-sms')
    const res = await call(
      envWith([t], { log_level: 'debug' }),
      `/v1/tenants/${FIXTURE_TENANT}/scg/messages`,
      {
        body: event,
        headers: { 'x-api-key': t.apiKey, 'content-type': 'text/plain;charset=UTF-8' },
      },
    )
    const reply = await res.text()
    expect(res.status).toBe(422)
    const body = JSON.parse(reply)
    expect(body.error).toMatchObject({
      code: 'PROVIDER_REJECTED',
      provider_code: '4001',
      provider_status: 400,
    })
    // What is not the message stays readable.
    expect(body.error.message).toContain('Message blocked')
    expect(body.error.message).toContain('spam pattern')
    const { texts } = await storedTexts(event.guid)
    expect(lines.length).toBeGreaterThan(0)
    for (const text of [reply, ...texts, lines.join('\n')]) {
      for (const leak of scgLeaks) expect(text).not.toMatch(leak)
    }
    expect(texts[0]).toContain('4001')
  })

  // outbound-twilio: to +12125550147, "Welcome to Acme Rewards, Sam! Here is your 10% coupon."
  const twilioLeaks = [/Acme Rewards/i, /10% coupon/i, /Welcome to/i, /2125550147/, /555 ?0147/, /\(212\)/]

  it('Twilio: an unquoted body fragment and the number in message → 422 and stored rows without them', async () => {
    const t = twilioTenant()
    const message =
      'Message body acme rewards, sam! here is your 10% coupon violates policy for (212) 555 0147'
    await twilioFake.script(t.accountSid, [{ status: 400, body: twilioErrorBody(30007, 400, message) }])
    const lines = captureLogs()
    const event = outboundEvent('outbound-twilio')
    const res = await postTwilioMessage(envWith([t], { log_level: 'debug' }), t, event)
    const reply = await res.text()
    expect(res.status).toBe(422)
    const body = JSON.parse(reply)
    expect(body.error).toMatchObject({
      code: 'PROVIDER_REJECTED',
      provider_code: '30007',
      provider_status: 400,
    })
    expect(body.error.message).toContain('violates policy')
    const { texts } = await storedTexts(event.guid)
    expect(lines.length).toBeGreaterThan(0)
    for (const text of [reply, ...texts, lines.join('\n')]) {
      for (const leak of twilioLeaks) expect(text).not.toMatch(leak)
    }
    expect(texts[0]).toContain('30007')
  })
})
