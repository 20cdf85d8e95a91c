import { createHmac, timingSafeEqual } from 'node:crypto'
import type http from 'node:http'
import { applyBehaviour, headersOf, type Scripts, sendJson } from './scripted'

/**
 * A fake Genesys Multicloud Nexus (Third-Party Messaging API), served by the fake Genesys. A test points
 * its tenant's `nexus_url` at `<fake>/<key>`; the contact centre of that key is `ccid-<key>` and the API
 * secret of its channel `<ch>` is `api-<key>-<ch>`, so the fake needs no set-up.
 *
 *   POST /<key>/…/channels/<ch>/<name>   (the default inbound path is /nexus/v3/channels/<ch>/messages)
 *        `x-ccid` and `X-Hub-Signature: sha1=<hex HMAC-SHA1(api secret, body)>` required: missing → 401,
 *        wrong → 403; body `{"messages":[{…}]}` else 400; then 200 in Nexus's `{status, data}` envelope.
 * Requests are recorded (whatever the answer) under the key; scripted behaviours apply after the checks.
 */
export const NEXUS_PATH = /^\/([^/]+)\/(?:[\w-]+\/)*channels\/([^/]+)\/[\w-]+$/

export async function answerNexus(
  scripts: Scripts,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  m: RegExpExecArray,
  raw: string,
): Promise<void> {
  const key = m[1] as string
  const channel = decodeURIComponent(m[2] as string)
  let body: { messages?: unknown } | undefined
  try {
    body = JSON.parse(raw) as { messages?: unknown }
  } catch {
    body = undefined
  }
  scripts.record(key, {
    at: Date.now(),
    method: 'POST',
    path: req.url ?? '',
    headers: headersOf(req),
    body,
    raw,
  })
  const ccid = req.headers['x-ccid']
  const signature = req.headers['x-hub-signature']
  const nexusError = (status: number, message: string) =>
    sendJson(res, status, { status: { code: status, message } })
  if (typeof ccid !== 'string' || typeof signature !== 'string') {
    nexusError(401, 'x-ccid and X-Hub-Signature are required')
    return
  }
  const expected = `sha1=${createHmac('sha1', `api-${key}-${channel}`).update(raw, 'utf8').digest('hex')}`
  if (ccid !== `ccid-${key}` || !same(signature, expected)) {
    nexusError(403, 'signature or ccid does not match')
    return
  }
  if (await applyBehaviour(scripts.next(key), req, res)) return
  const messages = body?.messages
  if (!Array.isArray(messages) || messages.length === 0 || typeof messages[0] !== 'object') {
    nexusError(400, 'body must be {"messages":[…]}')
    return
  }
  sendJson(res, 200, { status: { code: 0, message: '' }, data: { messageId: `nexus-${Date.now()}` } })
}

export function same(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}
