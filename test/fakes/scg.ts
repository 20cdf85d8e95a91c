import { randomBytes } from 'node:crypto'
import http from 'node:http'
import { applyBehaviour, handleControl, headersOf, readRaw, Scripts, sendJson } from './scripted'

/**
 * A fake Syniverse SCG speaking its wire format (reference/providers.md §1, §6):
 * `POST /scg-external-api/api/v1/messaging/message_requests` with `Authorization: Bearer <token>` and a
 * JSON body; success `200 {"id":"<22 chars>"}`; errors `{error_code, error_description}`.
 *
 * Tokens starting with `scg-` are valid (each test uses its own, which also keys the scripts and the
 * request log); any other token gets `401 {"error_code":"4010"}`. Bodies breaking the Message_Request
 * schema (to not an array, media_urls not an array, …) get `400 SCG_ERROR_40025`.
 */
export const SCG_SEND_PATH = '/scg-external-api/api/v1/messaging/message_requests'

export function scgId(): string {
  return randomBytes(16).toString('base64url').slice(0, 22)
}

export function createFakeScg() {
  const scripts = new Scripts()
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake')
    if (await handleControl(scripts, req, res, url)) return
    if (req.method !== 'POST' || url.pathname.replace(/\/$/, '') !== SCG_SEND_PATH) {
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
    if (await applyBehaviour(scripts.next(token), req, res)) return
    const problem = checkMessageRequest(req.headers['content-type'], body)
    if (problem) {
      sendJson(res, 400, { error_code: 'SCG_ERROR_40025', error_description: `Invalid payload: ${problem}` })
      return
    }
    sendJson(res, 200, { id: scgId() })
  })
  return { server, scripts }
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
