import { randomBytes } from 'node:crypto'
import http from 'node:http'
import { applyBehaviour, handleControl, headersOf, readRaw, Scripts, sendJson, sleep } from './scripted'
import { type ContractViolation, checkCreateMessage, checkListMessages, contract } from './twilio-contract'
import { TwilioRates } from './twilio-rate'

/**
 * A fake Twilio Messages API (docs/protocols.md, "Twilio"):
 * `POST /2010-04-01/Accounts/{AccountSid}/Messages.json`, HTTP Basic `AccountSid:AuthToken`,
 * `application/x-www-form-urlencoded` body checked against Twilio's OpenAPI `CreateMessage` schema
 * (test/fixtures/twilio). Success is `201` with a message resource as Twilio returns it; errors are
 * `{code, message, more_info, status}`.
 *
 * The AccountSid in the path keys the scripts and the request log (each test uses its own). Auth tokens
 * starting with `twilio-` are valid for any account; anything else gets `401` (20003). A request's
 * recorded `body` maps every parameter name to the list of its values, so repeated keys are visible.
 *
 * Created messages are kept per account and listed, newest first, by `GET …/Messages.json` with the
 * `ListMessage` filters (`To`, `From`, `PageSize`, checked against the OpenAPI file) in Twilio's
 * `ListMessageResponse` shape. Look-ups are logged and scripted under `lookup:<AccountSid>`.
 *
 * Account concurrency (429, 20429) and per-sender queues (21611, 30001) are in ./twilio-rate.ts.
 */
const PATH = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/

export const twilioErrorBody = (code: number, status: number, message: string) => ({
  code,
  message,
  more_info: `https://www.twilio.com/docs/errors/${code}`,
  status,
})

const rfc2822 = (d: Date) => d.toUTCString().replace('GMT', '+0000')

type MessageResource = ReturnType<typeof messageResource>

export function createFakeTwilio() {
  const scripts = new Scripts()
  const created = new Map<string, MessageResource[]>()
  const rates = new TwilioRates()
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake')
    if (url.pathname.startsWith('/__control/') && (await rates.handle(req, res, url))) return
    if (await handleControl(scripts, req, res, url, (key) => rates.reset(key))) return
    const match = PATH.exec(url.pathname)
    if (req.method === 'GET' && match) {
      await listMessages(scripts, created, decodeURIComponent(match[1] ?? ''), req, res, url)
      return
    }
    if (req.method !== 'POST' || !match) {
      sendJson(res, 404, twilioErrorBody(20404, 404, 'The requested resource was not found'))
      return
    }
    const accountSid = decodeURIComponent(match[1] ?? '')
    const raw = await readRaw(req)
    const fields = new Map<string, string[]>()
    for (const [k, v] of new URLSearchParams(raw)) fields.set(k, [...(fields.get(k) ?? []), v])
    scripts.record(accountSid, {
      at: Date.now(),
      method: req.method,
      path: url.pathname,
      headers: headersOf(req),
      body: Object.fromEntries(fields),
      raw,
    })
    if (!authorised(req.headers.authorization, accountSid)) {
      sendJson(res, 401, twilioErrorBody(20003, 401, 'Authenticate'), {
        'www-authenticate': 'Basic realm="Twilio API"',
      })
      return
    }
    if (!rates.enter(accountSid)) {
      sendJson(res, 429, twilioErrorBody(20429, 429, 'Too Many Requests'))
      return
    }
    try {
      const processMs = rates.processMs(accountSid)
      if (processMs > 0) await sleep(processMs)
      const behaviour = scripts.next(accountSid)
      if (!behaviour?.acceptLateMs && (await applyBehaviour(behaviour, req, res))) return
      const problem = checkRequest(req.headers['content-type'], fields)
      if (problem) {
        sendJson(res, 400, twilioErrorBody(problem.code, 400, problem.message))
        return
      }
      const one = (name: string) => fields.get(name)?.[0] ?? null
      const verdict = rates.queue(
        accountSid,
        one('From'),
        one('MessagingServiceSid'),
        segments(one('Body') ?? ''),
      )
      if (verdict === 'reject-21611') {
        const text = "This 'From' number has exceeded the maximum number of queued messages"
        sendJson(res, 400, twilioErrorBody(21611, 400, text))
        return
      }
      const message = messageResource(accountSid, fields)
      created.set(accountSid, [message, ...(created.get(accountSid) ?? [])])
      if (behaviour?.acceptLateMs) await sleep(behaviour.acceptLateMs)
      if (!res.destroyed) sendJson(res, 201, message)
      if (verdict === 'fail-30001') {
        // The Messaging Service took it, then its sender's queue overflowed: a later look-up shows it.
        message.status = 'failed'
        message.error_code = 30001
        message.error_message = 'Queue overflow'
      }
    } finally {
      rates.leave(accountSid)
    }
  })
  return { server, scripts, rates }
}

/** `ListMessage`: the account's messages, newest first, filtered by `To` and `From`. */
async function listMessages(
  scripts: Scripts,
  created: Map<string, MessageResource[]>,
  accountSid: string,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  url: URL,
) {
  const key = `lookup:${accountSid}`
  scripts.record(key, {
    at: Date.now(),
    method: 'GET',
    path: `${url.pathname}${url.search}`,
    headers: headersOf(req),
    body: Object.fromEntries(url.searchParams),
    raw: '',
  })
  if (!authorised(req.headers.authorization, accountSid)) {
    sendJson(res, 401, twilioErrorBody(20003, 401, 'Authenticate'))
    return
  }
  if (await applyBehaviour(scripts.next(key), req, res)) return
  const problem = checkListMessages(url.searchParams)
  if (problem) {
    sendJson(res, 400, twilioErrorBody(problem.code, 400, problem.message))
    return
  }
  const q = url.searchParams
  const pageSize = Number(q.get('PageSize') ?? 50)
  const messages = (created.get(accountSid) ?? [])
    .filter((m) => (!q.has('To') || m.to === q.get('To')) && (!q.has('From') || m.from === q.get('From')))
    .slice(0, pageSize)
  const uri = `${url.pathname}${url.search}`
  sendJson(res, 200, {
    end: Math.max(messages.length - 1, 0),
    first_page_uri: uri,
    next_page_uri: null,
    page: 0,
    page_size: pageSize,
    previous_page_uri: null,
    start: 0,
    uri,
    messages,
  })
}

function authorised(header: string | undefined, accountSid: string): boolean {
  if (!header?.startsWith('Basic ') || !contract.accountSidPattern.test(accountSid)) return false
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  return colon > 0 && decoded.slice(0, colon) === accountSid && decoded.slice(colon + 1).startsWith('twilio-')
}

function checkRequest(
  contentType: string | undefined,
  fields: Map<string, string[]>,
): ContractViolation | undefined {
  if (!/^application\/x-www-form-urlencoded\s*(;|$)/i.test(contentType ?? '')) {
    return {
      code: 21604,
      message: `Content-Type ${contentType ?? '(none)'} is not application/x-www-form-urlencoded; no 'To' parameter was read.`,
    }
  }
  return checkCreateMessage(fields)
}

function segments(body: string): number {
  const unicode = [...body].some((c) => (c.codePointAt(0) ?? 0) > 0x7f)
  const [single, multi] = unicode ? [70, 67] : [160, 153]
  const length = [...body].length
  return length <= single ? 1 : Math.ceil(length / multi)
}

function messageResource(accountSid: string, fields: Map<string, string[]>) {
  const one = (name: string) => fields.get(name)?.[0] ?? null
  const media = fields.get('MediaUrl') ?? []
  const sid = `${media.length > 0 ? 'MM' : 'SM'}${randomBytes(16).toString('hex')}`
  const service = one('MessagingServiceSid')
  const now = rfc2822(new Date())
  const base = `/2010-04-01/Accounts/${accountSid}/Messages/${sid}`
  return {
    account_sid: accountSid,
    api_version: '2010-04-01',
    body: one('Body') ?? '',
    date_created: now,
    date_sent: null,
    date_updated: now,
    direction: 'outbound-api',
    error_code: null as number | null,
    error_message: null as string | null,
    from: one('From'),
    messaging_service_sid: service,
    num_media: String(media.length),
    num_segments: String(segments(one('Body') ?? '')),
    price: null,
    price_unit: 'USD',
    sid,
    // A Messaging Service accepts first and picks the sender later (providers.md §3.2).
    status: (service ? 'accepted' : 'queued') as string,
    subresource_uris: { media: `${base}/Media.json` },
    to: one('To'),
    uri: `${base}.json`,
  }
}
