import { describe, expect, it } from 'vitest'
import { FIXTURE_TENANT, OTHER_TENANT } from '../support/constants'
import { ci360Fake } from '../support/fake-control'
import {
  ORIGIN,
  type Params,
  postTwilioWebhook,
  sendThroughTwilio,
  sign,
  statusParams,
  twilioTenant,
} from '../support/twilio'
import { call, envWith, json } from '../support/worker'

const statusPath = (tenant = FIXTURE_TENANT) => `/v1/webhooks/twilio/${tenant}/status`

describe('Twilio webhooks: signature and input checks', () => {
  const t = twilioTenant()
  const noToken = twilioTenant(OTHER_TENANT, { twilio_auth_token: '' })
  const testEnv = envWith([t, noToken])
  const params = () => statusParams(t, `SM${'1'.repeat(32)}`, 'delivered')

  const refused: { name: string; send: () => Promise<Response> }[] = [
    {
      name: 'a missing X-Twilio-Signature',
      send: () => postTwilioWebhook(testEnv, statusPath(), params(), t.authToken, { signature: null }),
    },
    {
      name: "another tenant's auth token",
      send: () => postTwilioWebhook(testEnv, statusPath(), params(), 'twilio-someone-else'),
    },
    {
      name: 'one changed parameter',
      send: () => {
        const p = params()
        const signature = sign(t.authToken, `${ORIGIN}${statusPath()}`, p)
        return postTwilioWebhook(testEnv, statusPath(), { ...p, MessageStatus: 'read' }, t.authToken, {
          signature,
        })
      },
    },
    {
      name: 'a signature over another URL',
      send: () =>
        postTwilioWebhook(testEnv, statusPath(), params(), t.authToken, {
          signedUrl: `${ORIGIN}/v1/webhooks/twilio/x/status`,
        }),
    },
    {
      name: 'an unknown tenant',
      send: () => postTwilioWebhook(testEnv, statusPath('nobody'), params(), t.authToken),
    },
    {
      name: 'a tenant without twilio_auth_token',
      send: () => postTwilioWebhook(testEnv, statusPath(OTHER_TENANT), params(), ''),
    },
  ]
  for (const r of refused) {
    it(`403 FORBIDDEN for ${r.name}`, async () => {
      const res = await r.send()
      expect(res.status).toBe(403)
      expect(res.headers.get('content-type')).toMatch(/^application\/json/)
      const body = await json(res)
      expect(body).toMatchObject({
        status: 'ERROR',
        error: { code: 'FORBIDDEN' },
        request_id: expect.any(String),
      })
    })
  }

  it('accepts a signature over the URL with an explicit :443', async () => {
    const res = await postTwilioWebhook(testEnv, statusPath(), params(), t.authToken, {
      signedUrl: `https://connector.example.com:443${statusPath()}`,
    })
    expect(await json(res)).toMatchObject({ status: 'IGNORED' })
  })

  it('verifies against public_base_url + path + query when it is set', async () => {
    const proxied = twilioTenant(FIXTURE_TENANT, { public_base_url: 'https://hooks.example.org/ci360' })
    const proxiedEnv = envWith([proxied])
    const path = `${statusPath()}?source=console`
    const good = await postTwilioWebhook(proxiedEnv, path, params(), proxied.authToken, {
      signedUrl: `https://hooks.example.org/ci360${path}`,
    })
    expect(good.status).toBe(200)
    const asReceived = await postTwilioWebhook(proxiedEnv, path, params(), proxied.authToken)
    expect(asReceived.status).toBe(403)
  })

  it('accepts the JSON-body variant (bodySHA256) and rejects a body that does not match', async () => {
    const jsonT = twilioTenant()
    const jsonEnv = envWith([jsonT])
    const { event, sid } = await sendThroughTwilio(jsonEnv, jsonT)
    const raw = JSON.stringify({ MessageSid: sid, MessageStatus: 'delivered' })
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(raw)))
    const hash = [...digest].map((b) => b.toString(16).padStart(2, '0')).join('')
    const path = `${statusPath()}?bodySHA256=${hash}`
    const signature = sign(jsonT.authToken, `${ORIGIN}${path}`, null)
    const post = (body: string) =>
      call(jsonEnv, path, {
        body,
        headers: { 'content-type': 'application/json', 'x-twilio-signature': signature },
      })
    expect((await post(raw.replace('delivered', 'failed'))).status).toBe(403)
    const res = await post(raw)
    expect(await json(res)).toMatchObject({ status: 'OK', guid: event.guid })
    expect((await ci360Fake.requests(jsonT.ci360Key))[0]?.body.eventName).toBe('Twilio Delivered')
  })

  it('400 VALIDATION_FAILED for a signed callback without MessageStatus', async () => {
    const p: Params = { ...params() }
    delete p.MessageStatus
    const res = await postTwilioWebhook(testEnv, statusPath(), p, t.authToken)
    expect(res.status).toBe(400)
    expect((await json(res)).error).toMatchObject({ code: 'VALIDATION_FAILED', fields: ['MessageStatus'] })
  })

  it('400 for a body that is not valid form encoding, 413 for one over 256 KiB', async () => {
    const bad = await call(testEnv, statusPath(), {
      body: 'MessageSid=%ZZ',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': 'x' },
    })
    expect(bad.status).toBe(400)
    expect((await json(bad)).error.code).toBe('VALIDATION_FAILED')
    const big = await postTwilioWebhook(
      testEnv,
      statusPath(),
      { ...params(), Pad: 'x'.repeat(300 * 1024) },
      t.authToken,
    )
    expect(big.status).toBe(413)
    expect((await json(big)).error.code).toBe('BODY_TOO_LARGE')
  })
})
