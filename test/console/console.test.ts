import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { type BrowserContext, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type DevServer, startWranglerDev } from '../../bench/wrangler-dev'
import { startFakes } from '../fakes'
import { FIXTURE_TENANT, OTHER_TENANT } from '../support/constants'

/**
 * The operator console in headless Chromium (Debian's `chromium`, installed by .ci/run), driven by
 * playwright-core against `wrangler dev` on 127.0.0.1 with local D1 and the fake providers. The test
 * saves console.png (1280×800), console-event.png and console-phone.png (390 px wide) in the ignored
 * test/console/screenshots/; with UPDATE_SCREENSHOTS=1 it writes the README's copies in docs/ instead.
 */

const ROOT = path.join(import.meta.dirname, '..', '..')
const SHOTS =
  process.env.UPDATE_SCREENSHOTS === '1'
    ? path.join(ROOT, 'docs')
    : path.join(import.meta.dirname, 'screenshots')
const shot = (name: string) => path.join(SHOTS, name)
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]
const ADMIN_KEY = `admin-${crypto.randomUUID()}`
const API_KEY = `ci360-${crypto.randomUUID()}`
const SCG_TOKEN = `scg-console-${crypto.randomUUID().slice(0, 8)}`
/** The tenant of the Senders view: queued sending, its own SCG token and admin key. */
const QUEUED = {
  admin: `admin-q-${crypto.randomUUID()}`,
  api: `ci360-q-${crypto.randomUUID()}`,
  token: `scg-queued-${crypto.randomUUID().slice(0, 8)}`,
  /** The fixture's FROM, paced at one segment per 100 s: the first message goes, the rest wait. */
  sender: 'channel:Zx8QpLm2RkWc4sTn7YbVhA',
  idle: 'channel:IdleSenderChan000000001',
}
/** The tenant of the Routes view: SCG first, Twilio second, its own keys (its breakers are its own). */
const ROUTED = {
  id: `console-routes-${crypto.randomUUID().slice(0, 8)}`,
  admin: `admin-r-${crypto.randomUUID()}`,
  api: `ci360-r-${crypto.randomUUID()}`,
  token: `scg-routed-${crypto.randomUUID().slice(0, 8)}`,
  sid: `AC${crypto.randomUUID().replaceAll('-', '')}`,
}
const WEBHOOK = { username: 'em-console', password: `pw-${crypto.randomUUID()}` }

let fakes: Awaited<ReturnType<typeof startFakes>>
let server: DevServer
let context: BrowserContext
let page: Page
let profile: string
const seeded = { sentGuid: '', queuedGuid: '', eventId: '' }

const outbound = (guid: string) => {
  const event = JSON.parse(readFileSync(path.join(ROOT, 'test/fixtures/ci360/outbound-sms.json'), 'utf8'))
  event.guid = guid
  event.date.generatedTimestamp = Date.now()
  return event
}

async function post(url: string, body: unknown, headers: Record<string, string>) {
  const res = await fetch(url, { method: 'POST', body: JSON.stringify(body), headers })
  return { status: res.status, body: (await res.json()) as Record<string, any> }
}

/** Two sends (one delivered, one stored for retry) and one Event Manager status, through the real routes. */
async function seed() {
  const base = `${server.url}/v1`
  const send = (guid: string) =>
    post(`${base}/tenants/${FIXTURE_TENANT}/scg/messages`, outbound(guid), { 'x-api-key': API_KEY })
  seeded.sentGuid = crypto.randomUUID()
  const sent = await send(seeded.sentGuid)
  expect(sent.body.status).toBe('OK')
  await fetch(`${fakes.urls.scg}/__control/script`, {
    method: 'POST',
    body: JSON.stringify({ key: SCG_TOKEN, responses: [{ status: 503, body: { error_code: '5030' } }] }),
  })
  seeded.queuedGuid = crypto.randomUUID()
  expect((await send(seeded.queuedGuid)).status).toBe(202)
  const envelope = JSON.parse(
    readFileSync(path.join(ROOT, 'test/fixtures/ci360/scg-status-delivered.json'), 'utf8'),
  )
  seeded.eventId = `console-${crypto.randomUUID().slice(0, 12)}`
  envelope['event-id'] = seeded.eventId
  envelope.event['fld-val-list'].message_request_id = sent.body.message_id
  const auth = `Basic ${btoa(`${WEBHOOK.username}:${WEBHOOK.password}`)}`
  const hook = await post(`${base}/webhooks/scg/${FIXTURE_TENANT}`, envelope, { authorization: auth })
  expect(hook.body.status).toBe('OK')
}

beforeAll(async () => {
  fakes = await startFakes()
  const tenant = {
    api_keys: [API_KEY],
    admin_api_keys: [ADMIN_KEY],
    scg_api_url: `${fakes.urls.scg}/scg-external-api/api/v1/messaging/message_requests`,
    scg_access_token: SCG_TOKEN,
    ci360_api_url: `${fakes.urls.ci360}/ci360-console/marketingGateway/events`,
    ci360_token: `ci360-static-console-${crypto.randomUUID().slice(0, 8)}`,
    scg_default_sender: 'channel:DefaultSenderChan000001',
    scg_response_event_DELIVERED: 'SMS Delivered',
    scg_webhook: { basic: WEBHOOK },
  }
  const queued = {
    ...tenant,
    api_keys: [QUEUED.api],
    admin_api_keys: [QUEUED.admin],
    scg_access_token: QUEUED.token,
    send_mode: 'queued',
    senders: { [QUEUED.sender]: { mps: 0.01 }, [QUEUED.idle]: { mps: 5, burst: 20 } },
  }
  const routed = {
    ...tenant,
    api_keys: [ROUTED.api],
    admin_api_keys: [ROUTED.admin],
    scg_access_token: ROUTED.token,
    twilio_account_sid: ROUTED.sid,
    twilio_auth_token: `twilio-${crypto.randomUUID()}`,
    twilio_api_url: `${fakes.urls.twilio}/2010-04-01/Accounts/${ROUTED.sid}/Messages.json`,
    routes: {
      SMS: [
        { provider: 'scg', sender: 'channel:RoutePrimary000000000001' },
        { provider: 'twilio', sender: '+18885550177' },
      ],
    },
  }
  const port = 23000 + Math.floor(Math.random() * 900)
  server = await startWranglerDev(
    port,
    {
      [`TENANT_${FIXTURE_TENANT}`]: JSON.stringify(tenant),
      [`TENANT_${OTHER_TENANT}`]: JSON.stringify(queued),
      [`TENANT_${ROUTED.id}`]: JSON.stringify(routed),
      log_level: 'warn',
    },
    { inspector: true, migrate: true },
  )
  await seed()
  profile = mkdtempSync(path.join(os.tmpdir(), 'console-chromium-'))
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: { width: 1280, height: 800 },
  })
  page = context.pages()[0] ?? (await context.newPage())
}, 180_000)

afterAll(async () => {
  await context?.close()
  if (profile) rmSync(profile, { recursive: true, force: true })
  await server?.stop()
  await fakes?.close()
})

const status = () => page.locator('#status')

describe('operator console in Chromium', () => {
  it('a wrong admin key shows an error and no data', async () => {
    await page.goto(`${server.url}/console/`)
    await page.fill('#tenant', FIXTURE_TENANT)
    await page.fill('#key', 'not-the-key')
    await page.click('#login button[type=submit]')
    await expect.poll(() => status().textContent()).toContain('Wrong tenant or admin key')
    expect(await page.locator('#app').isHidden()).toBe(true)
    expect(await page.locator('#counts').textContent()).toBe('')
    expect(await page.evaluate('sessionStorage.getItem("console.key")')).toBeNull()
  })

  it('signs in, shows the chart and pending counts, and keeps the key in sessionStorage only', async () => {
    await page.fill('#key', ADMIN_KEY)
    await page.click('#login button[type=submit]')
    await page.locator('#chart canvas').waitFor()
    await expect.poll(() => page.locator('#counts').textContent()).toContain('Failed requests pending')
    expect(await page.locator('#counts .count').first().locator('b').textContent()).toBe('1')
    expect(await page.locator('#counts').textContent()).toContain('Deliveries, 24 h')
    // The per-provider table: the seeded send and its DELIVERED receipt.
    const scgRow = page.locator('#providers-table tbody tr', { hasText: 'scg' })
    await scgRow.waitFor()
    const cells = await scgRow.locator('td').allTextContents()
    expect(cells.slice(0, 3)).toEqual(['scg', '1', '100 % (1)'])
    expect(cells[3]).toMatch(/^\d+(\.\d)? s$/)
    expect(cells[4]).toBe('0 (0 %)')
    // The y axis counts whole events: its labels are integers from 0, even for small counts.
    const ticks = (await page.locator('#chart').getAttribute('data-y-ticks'))?.split(',') ?? []
    expect(ticks[0]).toBe('0')
    expect(ticks.length).toBeGreaterThan(1)
    for (const t of ticks) expect(t).toMatch(/^\d+$/)
    expect(await page.evaluate('sessionStorage.getItem("console.key")')).toBe(ADMIN_KEY)
    expect(await page.evaluate('localStorage.length')).toBe(0)
    const res = await fetch(`${server.url}/console/`)
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'")
    expect(await res.text()).not.toContain(ADMIN_KEY)
    await page.screenshot({ path: shot('console.png') })
  })

  it('searches a message and shows its history', async () => {
    await page.click('[data-tab=messages]')
    await page.fill('#message-search input[name=q]', seeded.sentGuid)
    await page.click('#message-search button[type=submit]')
    const row = page.locator('#messages-table tbody tr', { hasText: seeded.sentGuid })
    await row.waitFor()
    // The tab's unfiltered list may still be on screen for a moment: wait for the search's answer.
    await expect.poll(() => page.locator('#messages-table tbody tr').count()).toBe(1)
    expect(await page.locator('#messages-table thead').textContent()).toContain('Recipient')
    expect(await row.locator('td').nth(2).textContent()).toMatch(/\*/)
    await row.locator('button').click()
    await page.locator('#history-table').waitFor()
    expect(await page.locator('#history-table').textContent()).toContain('DELIVERED')
    await expect.poll(() => status().textContent()).toContain('history entries')
  })

  it('opens an event, masks phone numbers until revealed, and replays it', async () => {
    await page.click('[data-tab=events]')
    const row = page.locator('#events-table tbody tr', { hasText: seeded.eventId })
    await row.waitFor()
    await row.locator('button').click()
    await page.locator('#event-body').waitFor()
    expect(await page.locator('#event-body').textContent()).not.toContain('+14155550123')
    expect(await page.locator('#event-body').textContent()).toContain('+1415*****23')
    await page.click('text=Reveal phone numbers')
    expect(await page.locator('#event-body').textContent()).toContain('+14155550123')
    expect(await page.locator('#tracking-table tbody tr').count()).toBe(1)
    await page.click('#event-detail >> text=Replay')
    await expect.poll(() => status().textContent()).toContain('Replayed: OK')
    await expect.poll(() => page.locator('#tracking-table tbody tr').count()).toBe(2)
    expect(await page.locator('#tracking-table').textContent()).toContain('(replay)')
    await page.locator('#event-detail').screenshot({ path: shot('console-event.png') })
  })

  it('retries a failed request and shows the outcome', async () => {
    await page.click('[data-tab=failed]')
    const row = page.locator('#failed-table tbody tr', { hasText: seeded.queuedGuid })
    await row.waitFor()
    await row.locator('text=Retry').click()
    await expect.poll(() => status().textContent()).toContain(`Retry of ${seeded.queuedGuid}: OK`)
    await expect.poll(() => page.locator('#failed-table').textContent()).not.toContain(seeded.queuedGuid)
  })

  it('adds, lists (masked), imports with a rejected line, exports and removes opt-outs', async () => {
    await page.click('[data-tab=optouts]')
    await expect.poll(() => status().textContent()).toContain('opt-outs shown')
    await page.fill('#optout-add input[name=address]', '+15550009001')
    await page.fill('#optout-add input[name=reason]', 'asked by phone')
    await page.click('#optout-add button[type=submit]')
    await expect.poll(() => status().textContent()).toContain('(sms) added')
    const table = page.locator('#optouts-table')
    await expect.poll(() => table.textContent()).toContain('+1555*****01')
    expect(await table.textContent()).not.toContain('+15550009001')
    expect(await table.textContent()).toContain('operator')

    await page.setInputFiles('#optout-import input[type=file]', {
      name: 'list.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(
        'address,channel,reason\r\n+15550009002,sms,moved\r\nnot-a-number\r\n+15550009003,whatsapp\r\n',
      ),
    })
    await page.click('#optout-import button[type=submit]')
    await expect.poll(() => status().textContent()).toContain('Imported list.csv: 2 added, 1 lines rejected')
    expect(await page.locator('#import-result').textContent()).toContain(
      'Added 2, already listed 0, rejected 1.',
    )
    expect(await page.locator('#import-rejected li').allTextContents()).toEqual([
      'Line 3: address must be an E.164 number (+ and 6 to 15 digits)',
    ])
    await expect.poll(() => page.locator('#optouts-table tbody tr').count()).toBe(3)

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#optout-export')])
    const csv = readFileSync((await download.path()) as string, 'utf8')
    expect(csv.split('\r\n')[0]).toBe('address,channel,sender,source,keyword,created_at')
    expect(csv).toContain('+15550009003,whatsapp,,import,,')
    await expect.poll(() => status().textContent()).toContain('Exported 3 entries')
    await page.screenshot({ path: shot('console-optouts.png'), fullPage: true })

    await page.click('#optouts-reveal')
    const row = page.locator('#optouts-table tbody tr', { hasText: '+15550009001' })
    await row.waitFor()
    page.once('dialog', (d) => d.accept())
    await row.locator('button', { hasText: 'Remove' }).click()
    await expect.poll(() => status().textContent()).toContain('Removed +15550009001: 1 entry')
    await expect.poll(() => page.locator('#optouts-table tbody tr').count()).toBe(2)
    expect(await table.textContent()).not.toContain('+15550009001')
    await page.click('#optouts-reveal')
  })

  it('works at phone width', async () => {
    await page.setViewportSize({ width: 390, height: 844 })
    await page.click('[data-tab=dashboard]')
    await page.locator('#chart canvas').waitFor()
    await expect.poll(() => status().textContent()).toContain('Dashboard updated')
    // Nothing wider than the screen except inside the scrollable tables.
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390)
    await page.screenshot({ path: shot('console-phone.png'), fullPage: true })
    await page.click('[data-tab=optouts]')
    await expect.poll(() => status().textContent()).toContain('opt-outs shown')
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390)
    await page.screenshot({ path: shot('console-optouts-phone.png'), fullPage: true })
  })

  it('shows each sender of a queued tenant: queued count, rate now and configured, last slow-down', async () => {
    await page.setViewportSize({ width: 1280, height: 800 })
    // SCG answers the first paced send 429: the sender's pacer slows down and its messages stay queued.
    await fetch(`${fakes.urls.scg}/__control/script`, {
      method: 'POST',
      body: JSON.stringify({ key: QUEUED.token, responses: [{ status: 429, body: { error_code: '1039' } }] }),
    })
    for (let i = 0; i < 3; i++) {
      const event = { ...outbound(crypto.randomUUID()), externalTenantId: OTHER_TENANT }
      const res = await post(`${server.url}/v1/tenants/${OTHER_TENANT}/scg/messages`, event, {
        'x-api-key': QUEUED.api,
      })
      expect(res.status).toBe(202)
    }
    const senders = async () => {
      const res = await fetch(`${server.url}/v1/tenants/${OTHER_TENANT}/senders`, {
        headers: { 'x-api-key': QUEUED.admin },
      })
      const body = (await res.json()) as { items: Record<string, any>[] }
      return body.items.find((i) => i.sender === QUEUED.sender)
    }
    // The queue's consumer runs on its own: wait for its slow-down to be recorded.
    await expect
      .poll(async () => (await senders())?.slow_downs ?? 0, { timeout: 60_000, interval: 500 })
      .toBeGreaterThan(0)
    const item = await senders()
    expect(item?.queued).toBeGreaterThanOrEqual(2)

    await page.click('#signout')
    await page.fill('#tenant', OTHER_TENANT)
    await page.fill('#key', QUEUED.admin)
    await page.click('#login button[type=submit]')
    await page.locator('#chart canvas').waitFor()
    await page.click('[data-tab=senders]')
    await expect.poll(() => status().textContent()).toMatch(/2 senders, \d+ queued/)
    const row = page.locator('#senders-table tbody tr', { hasText: QUEUED.sender })
    const cells = await row.locator('td').allTextContents()
    expect(cells.slice(0, 3)).toEqual(['scg', QUEUED.sender, String(item?.queued)])
    // The pace recovers step by step after the slow-down: the factor may have grown since.
    expect(cells[4]).toMatch(/^0\.00\d+ \/ 0\.01 seg\/s/)
    expect(cells[5]).toContain(item?.last_slow_down?.reason)
    const idle = await page
      .locator('#senders-table tbody tr', { hasText: QUEUED.idle })
      .locator('td')
      .allTextContents()
    expect(idle.slice(2, 6)).toEqual(['0', '—', '4.95 / 5 seg/s', 'none'])
    await page.screenshot({ path: shot('console-senders.png') })

    await page.setViewportSize({ width: 390, height: 844 })
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390)
    await page.screenshot({ path: shot('console-senders-phone.png'), fullPage: true })
  })

  it('shows the breakers of a tenant with routes, forces SCG open, and the route chain of the next send', async () => {
    await page.setViewportSize({ width: 1280, height: 800 })
    const send = async () => {
      const event = { ...outbound(crypto.randomUUID()), externalTenantId: ROUTED.id }
      const res = await post(`${server.url}/v1/tenants/${ROUTED.id}/scg/messages`, event, {
        'x-api-key': ROUTED.api,
      })
      expect(res.status).toBe(200)
      return { guid: event.guid as string, provider: res.body.provider }
    }
    expect((await send()).provider).toBe('scg')

    await page.click('#signout')
    await page.fill('#tenant', ROUTED.id)
    await page.fill('#key', ROUTED.admin)
    await page.click('#login button[type=submit]')
    await page.locator('#chart canvas').waitFor()
    await page.locator('#providers-table tbody tr', { hasText: 'scg' }).waitFor()
    await page.screenshot({ path: shot('console-providers.png'), fullPage: true })

    await page.click('[data-tab=routes]')
    await expect.poll(() => status().textContent()).toContain('2 breakers, 0 not closed')
    const rowOf = (p: string) => page.locator(`#breakers-table tbody tr[data-provider=${p}]`)
    expect(await rowOf('scg').locator('td').nth(1).textContent()).toBe('closed')
    expect(await rowOf('twilio').locator('td').nth(1).textContent()).toBe('closed')

    await rowOf('scg').locator('button', { hasText: 'Force open' }).click()
    await expect.poll(() => status().textContent()).toContain('scg: open (forced open)')
    await expect.poll(() => rowOf('scg').locator('td').nth(1).textContent()).toBe('open forced open')
    expect(await rowOf('scg').textContent()).toMatch(/closed → open/)
    expect(await rowOf('twilio').locator('td').nth(1).textContent()).toBe('closed')
    await page.screenshot({ path: shot('console-routes.png') })

    // The next send skips SCG; its record shows the chain.
    const next = await send()
    expect(next.provider).toBe('twilio')
    await page.click('[data-tab=messages]')
    await page.fill('#message-search input[name=q]', next.guid)
    await page.click('#message-search button[type=submit]')
    const row = page.locator('#messages-table tbody tr', { hasText: next.guid })
    await row.waitFor()
    await row.locator('button').click()
    await page.locator('#route-table').waitFor()
    const chain = await page.locator('#route-table tbody tr').allTextContents()
    expect(chain).toHaveLength(2)
    expect(chain[0]).toContain('skipped: breaker open')
    expect(chain[1]).toContain('twilio')
    await page.locator('#message-detail').screenshot({ path: shot('console-route-chain.png') })

    await page.click('[data-tab=routes]')
    await rowOf('scg').locator('button', { hasText: 'Automatic' }).click()
    await expect.poll(() => status().textContent()).toContain('(automatic)')
    expect(await rowOf('scg').locator('td').nth(1).textContent()).not.toContain('forced')
  })
})
