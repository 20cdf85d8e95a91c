import { describe, expect, it } from 'vitest'
import { appWith } from '../support/app'
import { FIXTURE_TENANT, OTHER_TENANT } from '../support/constants'
import { createEventManager, scgEnvelope, viaApp, viaWorker } from '../support/event-manager'
import { ci360Fake } from '../support/fake-control'
import { rows } from '../support/rows'
import { globalWebhookVars, webhookTenant } from '../support/scg-webhook'
import { envWith, json, testTenant } from '../support/worker'

const T0 = Date.UTC(2026, 2, 2, 14, 0, 0)
const basic = (user: string, pass: string) => `Basic ${btoa(`${user}:${pass}`)}`

/** Tenant A and B with their own credentials, the global credentials, and an app on a movable clock. */
function setup() {
  const a = webhookTenant(FIXTURE_TENANT)
  const b = webhookTenant(OTHER_TENANT)
  const global = globalWebhookVars()
  const testEnv = envWith([a, b], global.vars)
  let clock = T0
  const { app } = appWith(testEnv, { now: () => clock })
  return { a, b, global, testEnv, send: viaApp(app), advance: (ms: number) => (clock += ms) }
}

async function expect401(res: Response) {
  expect(res.status).toBe(401)
  expect(await json(res)).toMatchObject({ status: 'ERROR', error: { code: 'UNAUTHORIZED' } })
  const challenge = res.headers.get('www-authenticate')
  expect(challenge).toBeTruthy()
  return challenge as string
}

describe('SCG webhook auth: HTTP Basic', () => {
  it('no credentials → 401 with the challenges the route accepts; nothing claimed or injected', async () => {
    const { a, testEnv } = setup()
    for (const url of ['/v1/webhooks/scg', `/v1/webhooks/scg/${FIXTURE_TENANT}`]) {
      const em = createEventManager({ send: viaWorker(testEnv), url, auth: { mode: 'none' } })
      const envelope = scgEnvelope('scg-status-delivered')
      const challenge = await expect401(await em.deliver(envelope))
      expect(challenge).toContain('Basic realm="scg-webhook')
      expect(challenge).toContain('Bearer realm="scg-webhook')
      expect(await rows.scgWebhookEvent(envelope['event-id'])).toBeNull()
    }
    expect(await ci360Fake.requests(a.ci360Key)).toHaveLength(0)
  })

  it('wrong password, or another realm’s credentials, → 401 Basic challenge', async () => {
    const { a, b, global, send } = setup()
    const cases: [string, string][] = [
      ['/v1/webhooks/scg', basic(global.webhook.username, 'wrong')],
      ['/v1/webhooks/scg', basic(a.webhook.username, a.webhook.password)],
      [`/v1/webhooks/scg/${FIXTURE_TENANT}`, basic(global.webhook.username, global.webhook.password)],
      [`/v1/webhooks/scg/${FIXTURE_TENANT}`, basic(b.webhook.username, b.webhook.password)],
      [`/v1/webhooks/scg/${FIXTURE_TENANT}`, 'Basic !!!not-base64'],
    ]
    for (const [url, authorization] of cases) {
      const em = createEventManager({ send, url, auth: { mode: 'none' } })
      expect(await expect401(await em.post(scgEnvelope('scg-status-delivered'), authorization))).toMatch(
        /^Basic realm=/,
      )
    }
    expect(await ci360Fake.requests(a.ci360Key)).toHaveLength(0)
  })

  it('an unknown tenant, or a route without credentials configured, refuses everything', async () => {
    const bare = testTenant(FIXTURE_TENANT) // no scg_webhook
    const testEnv = envWith([bare]) // and no SCG_WEBHOOK_AUTH
    const tries: [string, string | undefined][] = [
      ['/v1/webhooks/scg/aaaaaaaaaaaaaaaaaaaaaaaa', basic('u', 'p')],
      [`/v1/webhooks/scg/${FIXTURE_TENANT}`, undefined],
      [`/v1/webhooks/scg/${FIXTURE_TENANT}`, basic('', '')],
      ['/v1/webhooks/scg', basic('', '')],
      ['/v1/webhooks/scg', 'Bearer abc.def.ghi'],
    ]
    for (const [url, authorization] of tries) {
      const em = createEventManager({ send: viaWorker(testEnv), url, auth: { mode: 'none' } })
      await expect401(await em.post(scgEnvelope('scg-status-delivered'), authorization))
    }
    expect(await ci360Fake.requests(bare.ci360Key)).toHaveLength(0)
  })
  it('an unknown tenant gets exactly the answer of a known one (no tenant probing)', async () => {
    const { global, testEnv } = setup()
    const answers: string[] = []
    for (const tenant of [FIXTURE_TENANT, 'aaaaaaaaaaaaaaaaaaaaaaaa']) {
      for (const authorization of [undefined, basic('u', 'p'), 'Bearer x.y.z']) {
        const em = createEventManager({
          send: viaWorker(testEnv),
          url: `/v1/webhooks/scg/${tenant}`,
          auth: { mode: 'none' },
        })
        const res = await em.post(scgEnvelope('scg-status-delivered'), authorization)
        const { request_id: _, ...body } = await json(res)
        answers.push(JSON.stringify([res.status, res.headers.get('www-authenticate'), body]))
      }
    }
    expect(answers.slice(3)).toEqual(answers.slice(0, 3))
    // Even a valid webhook:* token opens nothing for a tenant that does not exist.
    const token = await json(
      await viaWorker(testEnv)('/v1/oauth/token', {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: basic(global.webhook.clientId, global.webhook.clientSecret),
        },
        body: 'grant_type=client_credentials',
      }),
    )
    const em = createEventManager({
      send: viaWorker(testEnv),
      url: '/v1/webhooks/scg/aaaaaaaaaaaaaaaaaaaaaaaa',
      auth: { mode: 'none' },
    })
    expect(
      await expect401(await em.post(scgEnvelope('scg-status-delivered'), `Bearer ${token.access_token}`)),
    ).toContain('error="invalid_token"')
  })
})

describe('SCG webhook auth: OAuth Bearer tokens', () => {
  it('the fake Event Manager fetches a token (client_credentials) and gets a new one when it expires', async () => {
    const { a, global, send, advance } = setup()
    const em = createEventManager({
      send,
      url: '/v1/webhooks/scg',
      auth: {
        mode: 'oauth',
        grant: 'client_credentials',
        clientId: global.webhook.clientId,
        clientSecret: global.webhook.clientSecret,
      },
    })
    expect((await json(await em.deliver(scgEnvelope('scg-status-delivered')))).status).toBe('OK')
    const first = em.tokens().accessToken as string
    advance(3601_000)
    await expect401(await em.post(scgEnvelope('scg-status-read'), `Bearer ${first}`)) // expired
    expect((await json(await em.deliver(scgEnvelope('scg-status-read')))).status).toBe('OK')
    expect(em.tokenLog).toEqual([
      { grant: 'client_credentials', status: 200 },
      { grant: 'client_credentials', status: 200 },
    ])
    expect((await ci360Fake.requests(a.ci360Key)).map((r) => r.body.eventName)).toEqual([
      'SMS Delivered',
      'SMS Read',
    ])
  })

  it('password grant, then the refresh_token grant when the access token expires (tenant client, body credentials)', async () => {
    const { a, send, advance } = setup()
    const em = createEventManager({
      send,
      url: `/v1/webhooks/scg/${FIXTURE_TENANT}`,
      auth: {
        mode: 'oauth',
        grant: 'password',
        clientId: a.webhook.clientId,
        clientSecret: a.webhook.clientSecret,
        username: a.webhook.username,
        password: a.webhook.password,
        credentialsIn: 'body',
        tokenPath: `/v1/oauth/token?tenant=${FIXTURE_TENANT}`,
      },
    })
    expect((await json(await em.deliver(scgEnvelope('scg-status-delivered')))).status).toBe('OK')
    advance(3601_000)
    expect((await json(await em.deliver(scgEnvelope('scg-status-failed')))).status).toBe('OK')
    expect(em.tokenLog).toEqual([
      { grant: 'password', status: 200 },
      { grant: 'refresh_token', status: 200 },
    ])
    expect((await ci360Fake.requests(a.ci360Key)).map((r) => r.body.eventName)).toEqual([
      'SMS Delivered',
      'SMS Failed',
    ])
  })

  it('scopes: webhook:* works on tenant routes; webhook:<t> only on t’s route; refresh tokens never', async () => {
    const { a, b, global, send } = setup()
    const tokenFor = async (
      path: string,
      form: Record<string, string>,
      clientId: string,
      clientSecret: string,
    ) => {
      const res = await send(path, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: basic(clientId, clientSecret),
        },
        body: new URLSearchParams(form).toString(),
      })
      expect(res.status).toBe(200)
      return json(res)
    }
    const g = await tokenFor(
      '/v1/oauth/token',
      { grant_type: 'password', username: global.webhook.username, password: global.webhook.password },
      global.webhook.clientId,
      global.webhook.clientSecret,
    )
    const bToken = await tokenFor(
      `/v1/oauth/token?tenant=${OTHER_TENANT}`,
      { grant_type: 'client_credentials' },
      b.webhook.clientId,
      b.webhook.clientSecret,
    )
    const post = (url: string, token: string) =>
      createEventManager({ send, url, auth: { mode: 'none' } }).post(
        scgEnvelope('scg-status-delivered'),
        `Bearer ${token}`,
      )
    const tenantA = `/v1/webhooks/scg/${FIXTURE_TENANT}`
    const tenantB = `/v1/webhooks/scg/${OTHER_TENANT}`
    expect((await json(await post(tenantA, g.access_token))).status).toBe('OK')
    // b's token on b's route: authenticated, and the event (tenant A's id) is not injected into A.
    expect((await json(await post(tenantB, bToken.access_token))).status).toBe('IGNORED')
    for (const [url, token] of [
      [tenantA, bToken.access_token],
      ['/v1/webhooks/scg', bToken.access_token],
      [tenantA, g.refresh_token],
      ['/v1/webhooks/scg', g.refresh_token],
      [tenantA, `${g.access_token.slice(0, -2)}xx`],
    ]) {
      expect(await expect401(await post(url, token))).toContain('error="invalid_token"')
    }
    expect(await ci360Fake.requests(a.ci360Key)).toHaveLength(1)
    expect(await ci360Fake.requests(b.ci360Key)).toHaveLength(0)
  })

  it('a token stops working when its client is removed or the signing key changes', async () => {
    const { a, global, testEnv } = setup()
    const { app } = appWith(testEnv)
    const em = createEventManager({
      send: viaApp(app),
      url: '/v1/webhooks/scg',
      auth: {
        mode: 'oauth',
        grant: 'client_credentials',
        clientId: global.webhook.clientId,
        clientSecret: global.webhook.clientSecret,
      },
    })
    await em.fetchToken()
    const token = em.tokens().accessToken as string
    const rotated = appWith({
      ...testEnv,
      TOKEN_SIGNING_KEY: 'another-signing-key-0123456789abcdef',
    } as Env).app
    const removed = appWith({
      ...testEnv,
      SCG_WEBHOOK_AUTH: JSON.stringify({ basic: { username: 'x', password: 'y' } }),
    } as Env).app
    for (const target of [rotated, removed]) {
      const other = createEventManager({
        send: viaApp(target),
        url: '/v1/webhooks/scg',
        auth: { mode: 'none' },
      })
      await expect401(await other.post(scgEnvelope('scg-status-delivered'), `Bearer ${token}`))
    }
    expect(await ci360Fake.requests(a.ci360Key)).toHaveLength(0)
  })
})
