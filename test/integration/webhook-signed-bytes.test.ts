import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test'
import { createHash, createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import worker from '../../src/index'
import { scgFake } from '../support/fake-control'
import { genesysTenant, multicloudTenant, openMessage } from '../support/genesys'
import { formBody, ORIGIN, sign, statusParams, twilioTenant } from '../support/twilio'
import { envWith, json } from '../support/worker'

/**
 * Signatures are HMACs over the raw body bytes (docs/webhooks.md, "Signatures over bytes"): a body is
 * verified as it arrived, and only then decoded; a verified body that is not UTF-8 exactly (a byte order
 * mark, an invalid byte) is a 400, not a 403.
 */

const utf8 = (s: string) => new TextEncoder().encode(s)
const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}
const BOM = new Uint8Array([0xef, 0xbb, 0xbf])
const withBom = (s: string) => concat(BOM, utf8(s))
/** `s` with its `@` replaced by the byte 0xFF, which no UTF-8 text contains. */
const withFF = (s: string) => {
  const [a, b, ...more] = s.split('@')
  if (a === undefined || b === undefined || more.length > 0) throw new Error('expected exactly one @')
  return concat(utf8(a), new Uint8Array([0xff]), utf8(b))
}

/** POST raw bytes to the whole Worker, as the runtime would deliver them. */
async function postBytes(testEnv: Env, path: string, body: Uint8Array, headers: Record<string, string>) {
  const request = new Request(`${ORIGIN}${path}`, { method: 'POST', headers, body })
  const ctx = createExecutionContext()
  const res = await worker.fetch(request as Request<unknown, IncomingRequestCfProperties>, testEnv, ctx)
  await waitOnExecutionContext(ctx)
  return res
}

const sha256b64 = (secret: string, body: Uint8Array) =>
  `sha256=${createHmac('sha256', secret).update(body).digest('base64')}`
const sha1hex = (secret: string, body: Uint8Array) =>
  `sha1=${createHmac('sha1', secret).update(body).digest('hex')}`

describe('Genesys Open Messaging: X-Hub-Signature-256 over the bytes', () => {
  const post = (t: ReturnType<typeof genesysTenant>, body: Uint8Array, signature: string) =>
    postBytes(envWith([t]), `/v1/genesys/${t.id}/open-messaging`, body, {
      'content-type': 'application/json',
      'x-hub-signature-256': signature,
    })

  it('400 INVALID_JSON, nothing sent, for a body with a leading BOM signed over its bytes', async () => {
    const t = genesysTenant()
    const body = withBom(JSON.stringify(openMessage()))
    const res = await post(t, body, sha256b64(t.outboundSecret, body))
    expect(res.status).toBe(400)
    expect(await json(res)).toMatchObject({ status: 'ERROR', error: { code: 'INVALID_JSON' } })
    expect(await scgFake.requests(t.scgToken)).toHaveLength(0)
  })

  it('400 INVALID_JSON, nothing sent, for a body with an invalid UTF-8 byte signed over its bytes', async () => {
    const t = genesysTenant()
    const body = withFF(JSON.stringify(openMessage({ text: 'caf@' })))
    const res = await post(t, body, sha256b64(t.outboundSecret, body))
    expect(res.status).toBe(400)
    expect(await json(res)).toMatchObject({ status: 'ERROR', error: { code: 'INVALID_JSON' } })
    expect(await scgFake.requests(t.scgToken)).toHaveLength(0)
  })

  it('403 for a BOM body signed over its decoded text instead of its bytes', async () => {
    const t = genesysTenant()
    const text = JSON.stringify(openMessage())
    const res = await post(t, withBom(text), sha256b64(t.outboundSecret, utf8(text)))
    expect(res.status).toBe(403)
    expect(await json(res)).toMatchObject({ error: { code: 'FORBIDDEN' } })
    expect(await scgFake.requests(t.scgToken)).toHaveLength(0)
  })

  it('403, not 400, for a BOM body under a wrong signature: the signature is checked first', async () => {
    const t = genesysTenant()
    const res = await post(t, withBom(JSON.stringify(openMessage())), sha256b64('not-the-secret', BOM))
    expect(res.status).toBe(403)
  })

  it('200 OK and the text sent as received for non-ASCII UTF-8 signed over its bytes', async () => {
    const t = genesysTenant()
    const msg = openMessage({ text: 'Café 👋 — ünïcödé' })
    const body = utf8(JSON.stringify(msg))
    const res = await post(t, body, sha256b64(t.outboundSecret, body))
    expect(res.status).toBe(200)
    expect(await json(res)).toMatchObject({ status: 'OK', id: msg.id })
    const sent = await scgFake.requests(t.scgToken)
    expect(sent).toHaveLength(1)
    expect(sent[0]?.body).toMatchObject({ body: 'Café 👋 — ünïcödé' })
  })
})

describe('Genesys Multicloud: X-Hub-Signature over the bytes', () => {
  const post = (t: ReturnType<typeof multicloudTenant>, body: Uint8Array, signature: string) =>
    postBytes(envWith([t]), `/v1/genesys/${t.id}/channels/ch-a/webhook`, body, {
      'content-type': 'application/json',
      'x-hub-signature': signature,
    })
  const messages = (text: string) =>
    JSON.stringify({
      messages: [{ id: `mc-${crypto.randomUUID()}`, channel: { to: { id: '+14155550123' } }, text }],
    })

  it('400 INVALID_JSON for a BOM or an invalid byte signed over the bytes, nothing sent', async () => {
    const t = multicloudTenant()
    const secret = t.webhookSecrets['ch-a'] as string
    for (const body of [withBom(messages('hi')), withFF(messages('caf@'))]) {
      const res = await post(t, body, sha1hex(secret, body))
      expect(res.status).toBe(400)
      expect(await json(res)).toMatchObject({ status: 'ERROR', error: { code: 'INVALID_JSON' } })
    }
    expect(await scgFake.requests(t.scgToken)).toHaveLength(0)
  })

  it('200 for non-ASCII UTF-8 signed over the bytes', async () => {
    const t = multicloudTenant()
    const body = utf8(messages('Grüße 👋'))
    const res = await post(t, body, sha1hex(t.webhookSecrets['ch-a'] as string, body))
    expect(res.status).toBe(200)
    expect((await scgFake.requests(t.scgToken))[0]?.body).toMatchObject({ body: 'Grüße 👋' })
  })
})

describe('Twilio: X-Twilio-Signature over what the bytes hold', () => {
  const t = twilioTenant()
  const testEnv = envWith([t])
  const path = `/v1/webhooks/twilio/${t.id}/status`
  const sid = () => `SM${crypto.randomUUID().replaceAll('-', '')}`
  const form = { 'content-type': 'application/x-www-form-urlencoded' }

  it('400 VALIDATION_FAILED for a form with a raw invalid byte, signed over the values a lenient reader sees', async () => {
    const params = statusParams(t, sid(), 'delivered')
    // `…&Body=caf` + 0xFF: a lenient reader (Request.text()) sees `Body=caf\uFFFD`, and that is signed.
    const body = withFF(`${formBody(params)}&Body=caf@`)
    params.Body = 'caf\uFFFD'
    const signature = sign(t.authToken, `${ORIGIN}${path}`, params)
    const res = await postBytes(testEnv, path, body, { ...form, 'x-twilio-signature': signature })
    expect(res.status).toBe(400)
    expect((await json(res)).error).toMatchObject({ code: 'VALIDATION_FAILED', fields: ['(body)'] })
  })

  it('400 VALIDATION_FAILED for a form with a leading BOM, signed over its parameters', async () => {
    const params = statusParams(t, sid(), 'delivered')
    const signature = sign(t.authToken, `${ORIGIN}${path}`, params)
    const res = await postBytes(testEnv, path, withBom(formBody(params)), {
      ...form,
      'x-twilio-signature': signature,
    })
    expect(res.status).toBe(400)
    expect((await json(res)).error).toMatchObject({ code: 'VALIDATION_FAILED', fields: ['(body)'] })
  })

  it('JSON variant: the bodySHA256 of the bytes verifies, then a BOM is 400 INVALID_JSON', async () => {
    const body = withBom(JSON.stringify({ MessageSid: sid(), MessageStatus: 'delivered' }))
    const hash = createHash('sha256').update(body).digest('hex')
    const jsonPath = `${path}?bodySHA256=${hash}`
    const headers = { 'content-type': 'application/json' }
    const signed = await postBytes(testEnv, jsonPath, body, {
      ...headers,
      'x-twilio-signature': sign(t.authToken, `${ORIGIN}${jsonPath}`, null),
    })
    expect(signed.status).toBe(400)
    expect((await json(signed)).error).toMatchObject({ code: 'INVALID_JSON' })
    const unsigned = await postBytes(testEnv, jsonPath, body, { ...headers, 'x-twilio-signature': 'x' })
    expect(unsigned.status).toBe(403)
  })

  it('200 for escaped non-ASCII UTF-8 values signed over the decoded parameters', async () => {
    const params = statusParams(t, sid(), 'delivered', { Body: 'Grüße 👋' })
    const res = await postBytes(testEnv, path, utf8(formBody(params)), {
      ...form,
      'x-twilio-signature': sign(t.authToken, `${ORIGIN}${path}`, params),
    })
    expect(res.status).toBe(200)
    expect(await json(res)).toMatchObject({ status: 'IGNORED' })
  })
})
