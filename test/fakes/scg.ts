import { randomBytes } from 'node:crypto'
import http from 'node:http'
import { ScgRates } from './scg-rate'
import { applyBehaviour, handleControl, headersOf, readRaw, Scripts, sendJson, sleep } from './scripted'

/**
 * A fake Syniverse SCG speaking its wire format (docs/protocols.md, "Syniverse SCG"):
 * `POST /scg-external-api/api/v1/messaging/message_requests` with `Authorization: Bearer <token>` and a
 * JSON body; success `200 {"id":"<22 chars>"}`; errors `{error_code, error_description}`.
 *
 * Tokens starting with `scg-` are valid (each test uses its own, which also keys the scripts and the
 * request log); any other token gets `401 {"error_code":"4010"}`. Bodies breaking the Message_Request
 * schema (to not an array, media_urls not an array, …) get `400 SCG_ERROR_40025`.
 *
 * Created message requests are kept per token and listed by `GET …/message_requests?external_id=…`
 * (SCG's list shape `{list, offset, limit, total}`). Look-ups are logged and scripted under the key
 * `lookup:<token>`, so a test's send log only holds sends.
 *
 * Per-sender rates, with the 1039 receipts SCG sends for messages over them, are in ./scg-rate.ts.
 */
export const SCG_SEND_PATH = '/scg-external-api/api/v1/messaging/message_requests'

export function scgId(): string {
  return randomBytes(16).toString('base64url').slice(0, 22)
}

/** A message request as SCG lists it (the fields the Message_Request schema shows). */
interface StoredRequest {
  id: string
  from: string
  to: string[]
  body: string
  external_id: string | null
  state: string
  created_date: number
}

export function createFakeScg() {
  const scripts = new Scripts()
  const created = new Map<string, StoredRequest[]>()
  const rates = new ScgRates()
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake')
    if (url.pathname.startsWith('/__control/') && (await rates.handle(req, res, url))) return
    if (await handleControl(scripts, req, res, url, (key) => rates.reset(key))) return
    const onPath = url.pathname.replace(/\/$/, '') === SCG_SEND_PATH
    if (req.method === 'GET' && onPath) {
      await listRequests(scripts, created, req, res, url)
      return
    }
    if (req.method !== 'POST' || !onPath) {
      sendJson(res, 404, { error_code: '4040', error_description: 'Resource not found' })
      return
    }
    const raw = await readRaw(req)
    const auth = req.headers.authorization ?? ''
    const token = auth.startsWith('Bearer ') ? auth.slice(7) : ''
    let body: unknown
    try {
      body = JSON.parse(raw)
    } catch {
      body = undefined
    }
    scripts.record(token, {
      at: Date.now(),
      method: req.method,
      path: url.pathname,
      headers: headersOf(req),
      body,
      raw,
    })
    if (!token.startsWith('scg-')) {
      sendJson(res, 401, { error_code: '4010', error_description: 'Token unauthorized for resource' })
      return
    }
    const behaviour = scripts.next(token)
    if (!behaviour?.acceptLateMs && (await applyBehaviour(behaviour, req, res))) return
    const problem = checkMessageRequest(req.headers['content-type'], body)
    if (problem) {
      sendJson(res, 400, { error_code: 'SCG_ERROR_40025', error_description: `Invalid payload: ${problem}` })
      return
    }
    const b = body as Record<string, any>
    const stored: StoredRequest = {
      id: scgId(),
      from: b.from,
      to: b.to,
      body: b.body,
      external_id: typeof b.external_id === 'string' ? b.external_id : null,
      state: 'ACCEPTED',
      created_date: Date.now(),
    }
    created.set(token, [...(created.get(token) ?? []), stored])
    const send = { ...stored, hasMedia: Array.isArray(b.media_urls) && b.media_urls.length > 0 }
    rates.accepted(token, send, () => {
      stored.state = 'FAILED'
    })
    if (behaviour?.acceptLateMs) await sleep(behaviour.acceptLateMs)
    if (!res.destroyed) sendJson(res, 200, { id: stored.id })
  })
  return { server, scripts, rates }
}

/** `GET …/message_requests?external_id=&offset=&limit=`: the token's requests, filtered. */
async function listRequests(
  scripts: Scripts,
  created: Map<string, StoredRequest[]>,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  url: URL,
) {
  const auth = req.headers.authorization ?? ''
  const token = auth.startsWith('Bearer ') ? auth.slice(7) : ''
  const key = `lookup:${token}`
  scripts.record(key, {
    at: Date.now(),
    method: 'GET',
    path: `${url.pathname}${url.search}`,
    headers: headersOf(req),
    body: Object.fromEntries(url.searchParams),
    raw: '',
  })
  if (!token.startsWith('scg-')) {
    sendJson(res, 401, { error_code: '4010', error_description: 'Token unauthorized for resource' })
    return
  }
  if (await applyBehaviour(scripts.next(key), req, res)) return
  const externalId = url.searchParams.get('external_id')
  const offset = Number(url.searchParams.get('offset') ?? 0)
  const limit = Number(url.searchParams.get('limit') ?? 20)
  const all = (created.get(token) ?? []).filter((r) => externalId === null || r.external_id === externalId)
  sendJson(res, 200, { list: all.slice(offset, offset + limit), offset, limit, total: all.length })
}

function checkMessageRequest(contentType: string | undefined, body: unknown): string | undefined {
  if (!contentType?.startsWith('application/json')) return 'content-type must be application/json'
  if (typeof body !== 'object' || body === null) return 'body must be a JSON object'
  const b = body as Record<string, unknown>
  if (typeof b.from !== 'string' || b.from === '') return 'from must be a non-empty string'
  if (!Array.isArray(b.to) || b.to.length === 0 || !b.to.every((t) => typeof t === 'string' && t !== '')) {
    return 'to must be a non-empty array of strings'
  }
  if (typeof b.body !== 'string' || b.body === '') return 'body must be a non-empty string'
  if (
    b.media_urls !== undefined &&
    (!Array.isArray(b.media_urls) || !b.media_urls.every((u) => typeof u === 'string'))
  ) {
    return 'media_urls must be an array of strings'
  }
  if (b.external_id !== undefined && typeof b.external_id !== 'string') return 'external_id must be a string'
  return undefined
}
