/**
 * npm run demo: one CI360 round trip per feature against the local connector (started by `npm start`,
 * or here if nothing answers on 127.0.0.1:8787), printing every hop with its timing:
 * CI360 → Worker → provider, then provider webhook → Worker → CI360 event; and a Genesys conversation
 * (Genesys → Worker → SMS, receipt and the customer's reply → Genesys), over Open Messaging and over a
 * Multicloud Async channel; an opt-out: STOP, the next SMS suppressed, START; and a campaign burst paced
 * to its sender's rate by the send queue; and failover from SCG to Twilio and back.
 */
import { createHash, createHmac, randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks'
import { burstLeg } from './demo-burst'
import { failoverLeg } from './demo-failover'
import { optOutLeg } from './demo-opt-out'
import { DEMO_PORTS, startLocalFakes } from './local/fakes'
import { fireCron, isUp, prepareLocalState, startWorker, WORKER_URL } from './local/worker'

const TENANT = '6b1f0e2a9c4d30018e7a52c4'
const API_KEY = 'demo-ci360-key'
const SCG_TOKEN = 'scg-demo-token'
const TWILIO_SID = 'ACde000000000000000000000000000001'
const TWILIO_TOKEN = 'twilio-demo-token'
const WEBHOOK_BASIC = `Basic ${Buffer.from('event-manager:demo-webhook-password').toString('base64')}`
const FAKE = Object.fromEntries(
  Object.entries(DEMO_PORTS).map(([k, p]) => [k, `http://127.0.0.1:${p}`]),
) as Record<keyof typeof DEMO_PORTS, string>

const bold = (s: string) => `\x1b[1m${s}\x1b[0m`
const dim = (s: string) => `\x1b[2m${s}\x1b[0m`
const fixture = (name: string) => JSON.parse(readFileSync(`test/fixtures/ci360/${name}`, 'utf8'))
const mask = (phone: string) =>
  phone.replace(/^(\+?\d{4})\d+(\d{2})$/, (_, a: string, b: string) => `${a}*****${b}`)

let started = Date.now()
let failures = 0
/** One line per hop; `at` is when it happened (a fake's receive time), else now. */
function hop(from: string, to: string, what: string, ok = true, at = Date.now()) {
  const ms = String(Math.max(0, at - started)).padStart(5)
  if (!ok) failures++
  console.log(`  ${dim(`${ms} ms`)}  ${`${from} → ${to}`.padEnd(22)} ${ok ? what : `\x1b[31m${what}\x1b[0m`}`)
}

async function worker(path: string, body: string, headers: Record<string, string>) {
  const res = await fetch(`${WORKER_URL}${path}`, { method: 'POST', body, headers })
  const text = await res.text()
  return {
    status: res.status,
    text,
    json: (() => {
      try {
        return JSON.parse(text)
      } catch {
        return undefined
      }
    })(),
  }
}

/** Poll the bulk job route until the job has ended (30 s at most). */
async function waitForJob(jobId: string): Promise<any> {
  for (let i = 0; i < 150; i++) {
    const res = await fetch(`${WORKER_URL}/v1/tenants/${TENANT}/bulk/jobs/${jobId}`, {
      headers: { 'x-api-key': API_KEY },
    })
    const job = ((await res.json()) as any).job
    if (job?.state === 'done' || job?.state === 'failed') return job
    await new Promise((r) => setTimeout(r, 200))
  }
  return undefined
}

async function lastRequest(fake: string, key: string, after: number): Promise<any> {
  for (let i = 0; i < 50; i++) {
    const log = (await (
      await fetch(`${fake}/__control/requests?key=${encodeURIComponent(key)}`)
    ).json()) as any[]
    const hit = log.filter((r) => r.at >= after).at(-1)
    if (hit) return hit
    await new Promise((r) => setTimeout(r, 100))
  }
  return undefined
}

const step = (title: string) => {
  console.log(`\n${bold(title)}`)
  started = Date.now()
  return started - 5
}

/** A provider webhook: its POST, the CI360 event the Worker injects (at the fake's receive time), the reply. */
async function webhookStep(
  title: string,
  w: {
    sender: string
    path: string
    what: string
    body: string
    headers: Record<string, string>
    eventName: string
  },
) {
  const since = step(title)
  hop(w.sender, 'Worker', `POST ${w.path} (${w.what})`)
  const reply = await worker(w.path, w.body, w.headers)
  const event = await lastRequest(FAKE.ci360, '/demo', since)
  hop(
    'Worker',
    'CI360 events',
    event ? JSON.stringify(event.body) : 'no event',
    event?.body?.eventName === w.eventName,
    event?.at,
  )
  hop('Worker', w.sender, `${reply.status} ${reply.text}`, reply.json?.status === 'OK')
}

async function run() {
  // 1. SCG SMS.
  let since = step('1. CI360 sends an SMS through Syniverse SCG')
  const sms = fixture('outbound-sms.json')
  sms.guid = randomUUID()
  sms.date.generatedTimestamp = Date.now()
  hop('CI360', 'Worker', `POST /v1/tenants/${TENANT}/scg/messages (outbound-sms event, x-api-key)`)
  const smsReply = await worker(`/v1/tenants/${TENANT}/scg/messages`, JSON.stringify(sms), {
    'x-api-key': API_KEY,
    'content-type': 'text/plain;charset=UTF-8',
  })
  const scgReq = await lastRequest(FAKE.scg, SCG_TOKEN, since)
  hop(
    'Worker',
    'SCG',
    scgReq ? `POST message_requests to=${mask(scgReq.body.to[0])} from=${scgReq.body.from}` : 'no request',
    !!scgReq,
    scgReq?.at,
  )
  hop('Worker', 'CI360', `${smsReply.status} ${smsReply.text}`, smsReply.json?.status === 'OK')
  const scgMessageId: string = smsReply.json?.message_id
  const externalId: string = scgReq?.body.external_id

  // 2. Twilio MMS.
  since = step('2. CI360 sends an MMS through Twilio')
  const mms = fixture('outbound-twilio.json')
  mms.guid = randomUUID()
  mms.date.generatedTimestamp = Date.now()
  hop('CI360', 'Worker', `POST /v1/tenants/${TENANT}/twilio/messages (outbound-twilio event)`)
  const twReply = await worker(`/v1/tenants/${TENANT}/twilio/messages`, JSON.stringify(mms), {
    'x-api-key': API_KEY,
    'content-type': 'text/plain;charset=UTF-8',
  })
  const twReq = await lastRequest(FAKE.twilio, TWILIO_SID, since)
  hop(
    'Worker',
    'Twilio',
    twReq
      ? `POST Messages.json To=${mask(twReq.body.To[0])} MediaUrl×${twReq.body.MediaUrl?.length ?? 0}`
      : 'no request',
    !!twReq,
    twReq?.at,
  )
  hop('Worker', 'CI360', `${twReply.status} ${twReply.text}`, twReply.json?.status === 'OK')
  const twilioSid: string = twReply.json?.message_id
  const statusCallback: string =
    twReq?.body.StatusCallback?.[0] ?? `${WORKER_URL}/v1/webhooks/twilio/${TENANT}/status`

  // 3. Bulk export: 202 at once, the BULK_COPY Workflow copies, CI360 hears the end as an event.
  since = step('3. CI360 exports a bulk file; a Workflow streams it into S3')
  const bulk = fixture('bulk-webhook.json')
  const run = randomUUID().slice(0, 8)
  bulk.responseTrackingCode = randomUUID() // a fixed one would make every later run a DUPLICATE
  bulk.presignedUrls.dataFile = `${FAKE.source}/demo-${run}/fixture/data.csv`
  bulk.presignedUrls.metadataFile = `${FAKE.source}/demo-${run}/fixture/metadata.json`
  hop(
    'CI360',
    'Worker',
    `POST /v1/tenants/${TENANT}/bulk/s3 (s3_filename ${bulk.sendParameters.s3_filename})`,
  )
  const bulkReply = await worker(`/v1/tenants/${TENANT}/bulk/s3`, JSON.stringify(bulk), {
    'x-api-key': API_KEY,
    'content-type': 'application/json',
  })
  hop('Worker', 'CI360', `${bulkReply.status} ${bulkReply.text}`, bulkReply.status === 202)
  const job = await waitForJob(String(bulkReply.json?.job_id ?? ''))
  hop('Workflow', 'CI360 files', 'GET data.csv (presigned URL)', job?.state === 'done')
  const key = job?.upload_filename ?? ''
  const object = (await (
    await fetch(`${FAKE.s3}/__control/object?bucket=demo-exports&key=${encodeURIComponent(key)}`)
  ).json()) as any
  const sourceHash = createHash('sha256')
    .update(readFileSync('test/fixtures/ci360/bulk-data.csv'))
    .digest('hex')
  hop(
    'Workflow',
    'S3',
    `PUT ${key} ${object.bytes} bytes, SHA-256 ${object.sha256 === sourceHash ? 'matches the source' : 'DIFFERS'}`,
    object.sha256 === sourceHash,
  )
  const bulkEvent = await lastRequest(FAKE.ci360, '/demo', since)
  hop(
    'Workflow',
    'CI360',
    `event ${bulkEvent?.body?.eventName} (job ${job?.state})`,
    bulkEvent?.body?.responseTrackingCode === bulk.responseTrackingCode,
    bulkEvent?.at,
  )

  // 4. Event Manager delivery receipt for the SCG message.
  const delivered = fixture('scg-status-delivered.json')
  delivered['event-id'] = randomUUID().replaceAll('-', '').slice(0, 22)
  delivered.event.timestamp = new Date().toISOString()
  delivered.event['fld-val-list'].message_request_id = scgMessageId
  delivered.event['fld-val-list'].external_message_request_id = externalId
  await webhookStep('4. Syniverse Event Manager reports the SMS delivered', {
    sender: 'Event Manager',
    path: `/v1/webhooks/scg/${TENANT}`,
    what: 'message_state_change DELIVERED, Basic auth',
    body: JSON.stringify(delivered),
    headers: { authorization: WEBHOOK_BASIC, 'content-type': 'application/json; charset=UTF-8' },
    eventName: 'SMS Delivered',
  })

  // 5. Twilio status callback, signed as Twilio signs it.
  const params: Record<string, string> = {
    AccountSid: TWILIO_SID,
    ApiVersion: '2010-04-01',
    MessageSid: twilioSid,
    MessageStatus: 'delivered',
    SmsSid: twilioSid,
    SmsStatus: 'delivered',
    From: '+18885550100',
    To: '+12125550147',
  }
  await webhookStep('5. Twilio reports the MMS delivered (signed status callback)', {
    sender: 'Twilio',
    // The URL exactly as Twilio was given it (its query names the delivery's shard), as Twilio signs it.
    path: `${new URL(statusCallback).pathname}${new URL(statusCallback).search}`,
    what: 'MessageStatus=delivered, X-Twilio-Signature',
    body: new URLSearchParams(params).toString(),
    headers: {
      'x-twilio-signature': getExpectedTwilioSignature(TWILIO_TOKEN, statusCallback, params),
      'content-type': 'application/x-www-form-urlencoded',
    },
    eventName: 'Twilio Delivered',
  })

  // 6. The customer replies to the SMS.
  const mo = fixture('scg-mo-text.json')
  mo['event-id'] = randomUUID().replaceAll('-', '').slice(0, 22)
  mo.event.timestamp = new Date().toISOString()
  await webhookStep('6. The customer replies "Yes, see you then!" (Event Manager MO)', {
    sender: 'Event Manager',
    path: `/v1/webhooks/scg/${TENANT}`,
    what: 'mo_message_received',
    body: JSON.stringify(mo),
    headers: { authorization: WEBHOOK_BASIC, 'content-type': 'application/json; charset=UTF-8' },
    eventName: 'Inbound SMS',
  })

  // 7. The delivery record an operator sees.
  step('7. The operator view of the SMS')
  const record = await fetch(`${WORKER_URL}/v1/tenants/${TENANT}/messages/${sms.guid}`, {
    headers: { 'x-api-key': 'demo-admin-key' },
  })
  const rec = (await record.json()) as any
  hop(
    'Operator',
    'Worker',
    `state=${rec.state} provider_status=${rec.provider_status} history=${(rec.history ?? []).map((h: any) => h.state).join('→')}`,
    rec.provider_status === 'DELIVERED',
  )

  await queuedThenRetried()
  await genesysConversation(
    OPEN_MESSAGING,
    'Hi Dana, this is Sam from support: your replacement ships today.',
    'Great, thank you!',
  )
  // The same customer: their next reply goes to the channel that wrote to them last, this one.
  await genesysConversation(
    MULTICLOUD,
    'Hi Dana, Alex here: the courier comes between 2 and 4 pm.',
    'Perfect, I will be home.',
  )
  const kit = {
    tenant: TENANT,
    apiKey: API_KEY,
    webhookBasic: WEBHOOK_BASIC,
    scgToken: SCG_TOKEN,
    fakes: { ci360: FAKE.ci360, scg: FAKE.scg },
    step,
    hop,
    worker,
    fixture,
  }
  await optOutLeg(kit)
  await burstLeg(kit, { tenant: TENANT, apiKey: API_KEY, scgToken: SCG_TOKEN })
  await failoverLeg(kit, WORKER_URL)
}

const GENESYS = {
  tenant: 'genesys_demo',
  key: 'genesys-demo',
  number: '+18885550142',
  customer: '+14155550123',
}
const GENESYS_BASIC = `Basic ${Buffer.from('event-manager-genesys:demo-genesys-webhook-password').toString('base64')}`
const hmac = (algorithm: 'sha1' | 'sha256', secret: string, raw: string, encoding: 'hex' | 'base64') =>
  createHmac(algorithm, secret).update(raw).digest(encoding)

type GenesysKind = 'receipt' | 'message'
/** What the fake Genesys org recorded: the raw body is kept to check our signature independently. */
interface GenesysCall {
  at: number
  path: string
  headers: Record<string, string>
  body: any
  raw: string
}

/**
 * One Genesys product's side of the conversation of steps 9–11 and 12–14: how Genesys posts a message to
 * the Worker, and how the Worker's receipts and replies look when they reach the fake Genesys.
 */
interface GenesysLeg {
  first: number
  title: string
  /** The Worker route and the hop label of its signature. */
  path: string
  auth: string
  /** The raw body Genesys posts for one message, and its signature headers. */
  post(message: { id: string; to: string; text: string }): { raw: string; headers: Record<string, string> }
  /** The Worker's reply accepts the message; the SMS's provider id is read from it. */
  accepted(json: any, id: string): boolean
  messageIdOf(json: any): string | undefined
  /** The normalized message a call of `kind` carries, else undefined; `endpoint` names it in the log. */
  unwrap(call: GenesysCall, kind: GenesysKind): any
  endpoint(kind: GenesysKind): string
  /** Whether the call carries the credentials Genesys checks (and how the log says so). */
  credentials(call: GenesysCall): { ok: boolean; note: string }
}

const OPEN_MESSAGING: GenesysLeg = {
  first: 9,
  title: 'A Genesys Cloud agent texts a customer (Open Messaging → SCG)',
  path: `/v1/genesys/${GENESYS.tenant}/open-messaging`,
  auth: 'X-Hub-Signature-256',
  post: ({ id, to, text }) => {
    const raw = JSON.stringify({
      id,
      channel: {
        platform: 'Open',
        type: 'Private',
        to: { id: to },
        from: { id: 'demo-agent', idType: 'Opaque' },
        time: new Date().toISOString(),
      },
      type: 'Text',
      text,
      direction: 'Outbound',
    })
    const signature = `sha256=${hmac('sha256', 'demo-genesys-outbound-secret', raw, 'base64')}`
    return { raw, headers: { 'x-hub-signature-256': signature } }
  },
  accepted: (json, id) => json?.status === 'OK' && json?.id === id,
  messageIdOf: (json) => json?.message_id,
  unwrap: (call, kind) => (call.path.endsWith(`/inbound/open/${kind}`) ? call.body : undefined),
  endpoint: (kind) => `…/inbound/open/${kind}`,
  credentials: (call) => ({
    ok: call.headers.authorization?.startsWith('Bearer ') ?? false,
    note: 'Bearer token',
  }),
}

const NEXUS = { channel: 'sms-demo', ccid: 'ccid-genesys-demo', apiSecret: 'api-genesys-demo-sms-demo' }
const MULTICLOUD: GenesysLeg = {
  first: 12,
  title: 'A Genesys Multicloud agent texts the customer (Async channel webhook → SCG)',
  path: `/v1/genesys/${GENESYS.tenant}/channels/${NEXUS.channel}/webhook`,
  auth: 'X-Hub-Signature: sha1=',
  post: ({ id, to, text }) => {
    const raw = JSON.stringify({ messages: [{ id, channel: { to: { id: to } }, text }] })
    const signature = `sha1=${hmac('sha1', 'demo-multicloud-webhook-secret', raw, 'hex')}`
    return { raw, headers: { 'x-hub-signature': signature } }
  },
  accepted: (json, id) => json?.status === 'OK' && json?.messageId === `genesys:${id}`,
  messageIdOf: (json) => json?.messages?.[0]?.message_id,
  unwrap: (call, kind) => {
    const m = call.path.endsWith(`/channels/${NEXUS.channel}/messages`) ? call.body?.messages?.[0] : undefined
    // Receipts and replies share the path: a receipt has a `status`, a reply does not.
    const isReceipt = m !== undefined && 'status' in m
    return m && isReceipt === (kind === 'receipt') ? m : undefined
  },
  endpoint: () => `Nexus …/channels/${NEXUS.channel}/messages`,
  // Checked here with node:crypto, independently of the Worker (the fake Nexus answers 403 otherwise).
  credentials: (call) => {
    const ok =
      call.headers['x-ccid'] === NEXUS.ccid &&
      call.headers['x-hub-signature'] === `sha1=${hmac('sha1', NEXUS.apiSecret, call.raw, 'hex')}`
    return { ok, note: ok ? `x-ccid ${NEXUS.ccid}, signed with the API secret` : 'BAD x-ccid or signature' }
  },
}

/** The normalized messages of `kind` the fake Genesys org received since `since`, with their calls. */
async function genesysCalls(leg: GenesysLeg, kind: GenesysKind, since: number) {
  for (let i = 0; i < 50; i++) {
    const log = (await (
      await fetch(`${FAKE.genesys}/__control/requests?key=${GENESYS.key}`)
    ).json()) as GenesysCall[]
    const hits = log
      .filter((call) => call.at >= since)
      .flatMap((call) => {
        const message = leg.unwrap(call, kind)
        return message ? [{ call, message }] : []
      })
    if (hits.length) return hits
    await new Promise((r) => setTimeout(r, 100))
  }
  return []
}

/** Post an Event Manager envelope (a fixture, patched) to the Genesys tenant's SCG webhook. */
async function genesysWebhook(name: string, what: string, patch: (fields: any) => void) {
  const envelope = fixture(name)
  envelope['event-id'] = randomUUID().replaceAll('-', '').slice(0, 22)
  envelope.event.timestamp = new Date().toISOString()
  patch(envelope.event['fld-val-list'])
  hop('Event Manager', 'Worker', `POST /v1/webhooks/scg/${GENESYS.tenant} (${what})`)
  return worker(`/v1/webhooks/scg/${GENESYS.tenant}`, JSON.stringify(envelope), {
    authorization: GENESYS_BASIC,
    'content-type': 'application/json',
  })
}

/** The call of `kind` the Worker made to Genesys since `since`, logged with `describe`d content. */
async function genesysHop(
  leg: GenesysLeg,
  kind: GenesysKind,
  since: number,
  expect: (message: any) => boolean,
  describe: (message: any) => string,
) {
  const [hit] = await genesysCalls(leg, kind, since)
  const creds = hit && leg.credentials(hit.call)
  hop(
    'Worker',
    'Genesys',
    hit ? `POST ${leg.endpoint(kind)} ${describe(hit.message)} (${creds?.note})` : `no ${kind}`,
    !!hit && expect(hit.message) && !!creds?.ok,
    hit?.call.at,
  )
}

/** CI360 requests of the Genesys tenant since `since` (there must be none: Genesys owns the conversation). */
const genesysCi360 = async (since: number) =>
  ((await (await fetch(`${FAKE.ci360}/__control/requests?key=/genesys-demo`)).json()) as any[]).filter(
    (r) => r.at >= since,
  )

/** 9–11 and 12–14. A Genesys agent's message → SMS → DELIVERED → receipt; the customer's reply → Genesys. */
async function genesysConversation(leg: GenesysLeg, agentText: string, customerText: string) {
  const start = step(`${leg.first}. ${leg.title}`)
  const id = `demo-${randomUUID()}`
  const { raw, headers } = leg.post({ id, to: GENESYS.customer, text: agentText })
  hop('Genesys', 'Worker', `POST ${leg.path} (${leg.auth})`)
  const sent = await worker(leg.path, raw, { ...headers, 'content-type': 'application/json' })
  const sms = await lastRequest(FAKE.scg, 'scg-genesys-demo-token', start)
  hop(
    'Worker',
    'SCG',
    sms ? `POST message_requests to=${mask(sms.body.to[0])}` : 'no request',
    !!sms,
    sms?.at,
  )
  hop('Worker', 'Genesys', `${sent.status} ${sent.text}`, sent.status === 200 && leg.accepted(sent.json, id))

  let since = step(`${leg.first + 1}. Event Manager reports the SMS delivered; Genesys gets the receipt`)
  const status = await genesysWebhook('scg-status-delivered.json', 'DELIVERED', (f) => {
    f.message_request_id = leg.messageIdOf(sent.json)
    f.external_message_request_id = sms?.body.external_id
  })
  await genesysHop(
    leg,
    'receipt',
    since,
    (r) => r.status === 'Delivered' && r.id === id,
    (r) => `${r.status} for ${r.id}`,
  )
  hop('Worker', 'Event Manager', `${status.status} ${status.text}`, status.json?.status === 'OK')

  since = step(
    `${leg.first + 2}. The customer replies to the Genesys number; the agent sees it in Genesys, not CI360`,
  )
  const reply = await genesysWebhook('scg-mo-text.json', `MO to ${mask(GENESYS.number)}`, (f) => {
    f.to_address = GENESYS.number
    f.from_address = GENESYS.customer
    f.message_body = customerText
  })
  await genesysHop(
    leg,
    'message',
    since,
    (m) => m.text === customerText,
    (m) => `"${m.text}" from ${mask(m.channel.from.id)}`,
  )
  hop('Worker', 'Event Manager', `${reply.status} ${reply.text}`, reply.json?.status === 'OK')
  const ci360 = await genesysCi360(start)
  hop('Worker', 'CI360', `${ci360.length} event(s) for the Genesys tenant`, ci360.length === 0)
}

/** 8. SCG fails once: the SMS is QUEUED; the retry cron (fired here when it is due) sends it once. */
async function queuedThenRetried() {
  const since = step('8. SCG is down: the SMS is queued, and the retry cron sends it exactly once')
  await fetch(`${FAKE.scg}/__control/script`, {
    method: 'POST',
    body: JSON.stringify({
      key: SCG_TOKEN,
      responses: [{ status: 503, body: { error_code: '5030', error_description: 'Service Unavailable' } }],
    }),
  })
  const sms = fixture('outbound-sms.json')
  sms.guid = randomUUID()
  sms.date.generatedTimestamp = Date.now()
  hop('CI360', 'Worker', `POST /v1/tenants/${TENANT}/scg/messages (SCG told to answer 503 once)`)
  const reply = await worker(`/v1/tenants/${TENANT}/scg/messages`, JSON.stringify(sms), {
    'x-api-key': API_KEY,
    'content-type': 'text/plain;charset=UTF-8',
  })
  const sends = async () =>
    ((await (await fetch(`${FAKE.scg}/__control/requests?key=${SCG_TOKEN}`)).json()) as any[]).filter(
      (r) => r.at >= since,
    )
  const first = (await sends())[0]
  hop('Worker', 'SCG', first ? 'POST message_requests → 503' : 'no request', !!first, first?.at)
  hop(
    'Worker',
    'CI360',
    `${reply.status} ${reply.text}`,
    reply.status === 202 && reply.json?.status === 'QUEUED',
  )

  const due = Date.parse(reply.json?.retry_at ?? '') || Date.now()
  hop('Demo', 'Worker', `waiting ${Math.ceil((due - Date.now()) / 1000)} s for retry_at (first backoff step)`)
  await new Promise((r) => setTimeout(r, Math.max(0, due - Date.now()) + 1000))
  let fired = true
  for (const n of [1, 2]) {
    try {
      await fireCron()
      hop('Cron', 'Worker', `GET /__scheduled (run ${n}) → 2xx`)
    } catch (e) {
      fired = false
      hop('Cron', 'Worker', e instanceof Error ? e.message : String(e), false)
    }
    await new Promise((r) => setTimeout(r, 1500)) // the retry runs in the handler's waitUntil
  }
  const all = await sends()
  const record = (await (
    await fetch(`${WORKER_URL}/v1/tenants/${TENANT}/messages/${sms.guid}`, {
      headers: { 'x-api-key': 'demo-admin-key' },
    })
  ).json()) as any
  hop(
    'Worker',
    'SCG',
    `${all.length - 1} retry send(s) after two cron runs; state=${record.state} attempts=${record.attempts}`,
    fired && all.length === 2 && record.state === 'sent' && record.attempts === 2,
    all[1]?.at,
  )
}

let stack: { stop(): Promise<void> } | undefined
if (!(await isUp())) {
  console.log(dim('No connector on 127.0.0.1:8787: starting one (as npm start would)…'))
  prepareLocalState()
  const fakes = await startLocalFakes(DEMO_PORTS, undefined, ['demo-exports'])
  const w = await startWorker(() => undefined)
  stack = {
    stop: async () => {
      w.stop()
      await fakes.close()
    },
  }
}
try {
  await run()
} finally {
  await stack?.stop()
}
console.log(
  failures === 0
    ? `\n${bold('Round trip complete: every hop answered as expected.')}`
    : `\n${failures} hop(s) failed.`,
)
process.exit(failures === 0 ? 0 : 1)
