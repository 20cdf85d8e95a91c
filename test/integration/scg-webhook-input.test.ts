import { describe, expect, it } from 'vitest'
import { FIXTURE_TENANT } from '../support/constants'
import { scgEnvelope, toXml } from '../support/event-manager'
import { ci360Fake } from '../support/fake-control'
import { rows } from '../support/rows'
import { webhookTenant } from '../support/scg-webhook'
import { call, envWith, json } from '../support/worker'

const url = `/v1/webhooks/scg/${FIXTURE_TENANT}`

function setup() {
  const t = webhookTenant()
  const testEnv = envWith([t])
  const authorization = `Basic ${btoa(`${t.webhook.username}:${t.webhook.password}`)}`
  const post = (body: string, contentType = 'application/json; charset=UTF-8') =>
    call(testEnv, url, { method: 'POST', body, headers: { authorization, 'content-type': contentType } })
  return { t, post }
}

async function expectError(res: Response, status: number, code: string) {
  expect(res.status).toBe(status)
  const body = await json(res)
  expect(body).toMatchObject({ status: 'ERROR', error: { code } })
  expect(typeof body.request_id).toBe('string')
  return body
}

describe('SCG webhook: bad input gets a specific 4xx (or IGNORED), never a 500', () => {
  it('non-JSON → 400 INVALID_JSON; empty body → 400 INVALID_JSON', async () => {
    const { t, post } = setup()
    await expectError(await post('this is not json'), 400, 'INVALID_JSON')
    await expectError(await post(''), 400, 'INVALID_JSON')
    expect(await ci360Fake.requests(t.ci360Key)).toHaveLength(0)
  })

  it('JSON without event → 400 VALIDATION_FAILED naming event', async () => {
    const { post } = setup()
    const body = await expectError(
      await post(JSON.stringify({ topic: 'SCG-Message', attempt: 1, 'event-id': 'x1' })),
      400,
      'VALIDATION_FAILED',
    )
    expect(body.error.fields).toEqual(['event'])
    await expectError(await post('[1,2]'), 400, 'VALIDATION_FAILED')
    await expectError(await post('"1"'), 400, 'VALIDATION_FAILED')
  })

  it('an envelope without event-id → 400 naming event-id', async () => {
    const { post } = setup()
    const envelope = scgEnvelope('scg-status-delivered', (e) => delete e['event-id'])
    const body = await expectError(await post(JSON.stringify(envelope)), 400, 'VALIDATION_FAILED')
    expect(body.error.fields).toEqual(['event-id'])
  })

  it('missing fld-val-list fields → 400 naming each of them', async () => {
    const { t, post } = setup()
    const status = scgEnvelope('scg-status-delivered', (e) => {
      delete e.event['fld-val-list'].new_state
      delete e.event['fld-val-list'].external_message_request_id
    })
    const s = await expectError(await post(JSON.stringify(status)), 400, 'VALIDATION_FAILED')
    expect(s.error.fields).toEqual([
      'event.fld-val-list.new_state',
      'event.fld-val-list.external_message_request_id',
    ])
    expect(s.error.message).toContain('event.fld-val-list.new_state: is required')

    const mo = scgEnvelope('scg-mo-text', (e) => delete e.event['fld-val-list'].from_address)
    const m = await expectError(await post(JSON.stringify(mo)), 400, 'VALIDATION_FAILED')
    expect(m.error.fields).toEqual(['event.fld-val-list.from_address'])

    const noList = scgEnvelope('scg-mo-text', (e) => delete e.event['fld-val-list'])
    const n = await expectError(await post(JSON.stringify(noList)), 400, 'VALIDATION_FAILED')
    expect(n.error.fields).toEqual(['event.fld-val-list'])
    expect(await rows.scgWebhookEvent(status['event-id'])).toBeNull()
    expect(await ci360Fake.requests(t.ci360Key)).toHaveLength(0)
  })

  it('a body over 256 KiB → 413 BODY_TOO_LARGE', async () => {
    const { post } = setup()
    const envelope = scgEnvelope('scg-mo-text', (e) => {
      e.event['fld-val-list'].message_body = 'x'.repeat(257 * 1024)
    })
    await expectError(await post(JSON.stringify(envelope)), 413, 'BODY_TOO_LARGE')
  })

  it('unknown evt-tp and message_request_state_change → 200 IGNORED, nothing injected or claimed', async () => {
    const { t, post } = setup()
    for (const type of ['message_request_state_change', 'sender_id_state_change']) {
      const envelope = {
        topic: 'SCG-Message',
        attempt: 1,
        event: { 'evt-tp': type, timestamp: new Date().toISOString() },
        'event-id': crypto.randomUUID(),
      }
      const res = await post(JSON.stringify(envelope))
      expect(res.status).toBe(200)
      expect(await json(res)).toEqual({
        status: 'IGNORED',
        event_id: envelope['event-id'],
        reason: `event type ${type} is not handled`,
      })
      expect(await rows.scgWebhookEvent(envelope['event-id'])).toBeNull()
    }
    expect(await ci360Fake.requests(t.ci360Key)).toHaveLength(0)
  })

  it('XML with a DTD and entities → 400 INVALID_XML; nothing is expanded or injected', async () => {
    const { t, post } = setup()
    const laughs = `<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<event-delivery><event><evt-tp>mo_message_received</evt-tp><fld-val-list>
<from_address>+14155550123</from_address><message_body>&lol3;</message_body></fld-val-list></event>
<event-id>${crypto.randomUUID()}</event-id></event-delivery>`
    const body = await expectError(await post(laughs, 'application/xml'), 400, 'INVALID_XML')
    expect(JSON.stringify(body)).not.toContain('lollol')
    const external = `<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><d>&x;</d>`
    await expectError(await post(external, 'text/xml'), 400, 'INVALID_XML')
    const bare = `<d><!ENTITY x "y"><a>&x;</a></d>`
    await expectError(await post(bare, 'application/xml'), 400, 'INVALID_XML')
    expect(await ci360Fake.requests(t.ci360Key)).toHaveLength(0)
  })

  it('malformed XML or several root elements → 400 INVALID_XML', async () => {
    const { post } = setup()
    await expectError(
      await post('<event-delivery><event></event-delivery>', 'application/xml'),
      400,
      'INVALID_XML',
    )
    await expectError(await post('<a/><b/>', 'text/xml'), 400, 'INVALID_XML')
    await expectError(await post('{"not":"xml"}', 'application/xml'), 400, 'INVALID_XML')
    await expectError(await post('', 'application/xml'), 400, 'INVALID_XML')
  })

  it('any +xml media type is XML; other types (text/plain too) are JSON', async () => {
    const { t, post } = setup()
    const a = scgEnvelope('scg-status-failed')
    expect((await json(await post(toXml(a, 'Envelope'), 'application/vnd.syniverse.ess+xml'))).status).toBe(
      'OK',
    )
    const b = scgEnvelope('scg-status-read')
    expect((await json(await post(JSON.stringify(b), 'text/plain;charset=UTF-8'))).status).toBe('OK')
    expect((await ci360Fake.requests(t.ci360Key)).map((r) => r.body.eventName)).toEqual([
      'SMS Failed',
      'SMS Read',
    ])
  })

  it('XML values keep their text: entities decoded, CDATA literal, a "1" reply stays "1"', async () => {
    const t = webhookTenant(FIXTURE_TENANT, { identity_field: 'subject_id' })
    const testEnv = envWith([t])
    const authorization = `Basic ${btoa(`${t.webhook.username}:${t.webhook.password}`)}`
    const bodies = ['Fish &amp; chips &lt;3 &#233;', '<![CDATA[a &amp; <b>]]>', '1', '007']
    for (const b of bodies) {
      const xml = `<event-delivery><attempt>1</attempt><event><evt-tp>mo_message_received</evt-tp>
<fld-val-list><from_address>+14155550123</from_address><message_body>${b}</message_body>
<sender_id_id>Fh6Kp2Xq9Lm4Tz7Rv1Nc3B</sender_id_id></fld-val-list></event>
<event-id>${crypto.randomUUID()}</event-id></event-delivery>`
      const res = await call(testEnv, url, {
        method: 'POST',
        body: xml,
        headers: { authorization, 'content-type': 'text/xml' },
      })
      expect((await json(res)).status).toBe('OK')
    }
    expect((await ci360Fake.requests(t.ci360Key)).map((r) => r.body.message_body)).toEqual([
      'Fish & chips <3 é',
      'a &amp; <b>',
      '1',
      '007',
    ])
  })
})
