import http from 'node:http'
import { answerNexus, NEXUS_PATH, same } from './nexus'
import { applyBehaviour, handleControl, headersOf, readRaw, Scripts, sendJson } from './scripted'

/**
 * A fake Genesys Cloud org for Open Messaging. Each test points its tenant's `login_url` and `api_url`
 * at `<fake>/<key>`; the key scopes the tokens, the scripts and the request log.
 *
 *   POST /<key>/oauth/token   grant_type=client_credentials, Basic `client-<key>:secret-<key>`
 *   POST /<key>/api/v2/conversations/messages/<integration>/inbound/open/{message|receipt}
 *        Bearer token issued for <key>; else 401 (as Genesys answers an expired token)
 *   POST /__control/expire {key}  every token of <key> stops working
 * Scripted behaviours (fail N times) apply to the API endpoints after the token check.
 * It also serves the Multicloud Nexus API of test/fakes/nexus.ts under the same keys.
 */
export function createFakeGenesys() {
  const scripts = new Scripts()
  const tokens = new Map<string, Set<string>>()
  let issued = 0
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake')
    if (req.method === 'POST' && url.pathname === '/__control/expire') {
      const { key } = JSON.parse((await readRaw(req)) || '{}') as { key?: string }
      tokens.delete(key ?? '')
      sendJson(res, 200, { ok: true })
      return
    }
    if (await handleControl(scripts, req, res, url)) return
    const nexus = req.method === 'POST' ? NEXUS_PATH.exec(url.pathname) : null
    if (nexus) {
      await answerNexus(scripts, req, res, nexus, await readRaw(req))
      return
    }
    const m =
      /^\/([^/]+)(\/oauth\/token|\/api\/v2\/conversations\/messages\/[^/]+\/inbound\/open\/(?:message|receipt))$/.exec(
        url.pathname,
      )
    if (req.method !== 'POST' || !m) {
      sendJson(res, 404, { message: 'Not Found', code: 'not.found' })
      return
    }
    const key = m[1] as string
    const raw = await readRaw(req)
    let body: unknown
    try {
      body = JSON.parse(raw)
    } catch {
      body = undefined
    }
    scripts.record(key, {
      at: Date.now(),
      method: 'POST',
      path: url.pathname,
      headers: headersOf(req),
      body,
      raw,
    })
    const auth = req.headers.authorization ?? ''
    if (m[2] === '/oauth/token') {
      const expected = `Basic ${Buffer.from(`client-${key}:secret-${key}`).toString('base64')}`
      if (!same(auth, expected) || new URLSearchParams(raw).get('grant_type') !== 'client_credentials') {
        sendJson(res, 401, { error: 'invalid_client', description: 'client credentials are wrong' })
        return
      }
      const token = `tok-${key}-${++issued}`
      const set = tokens.get(key) ?? new Set<string>()
      set.add(token)
      tokens.set(key, set)
      sendJson(res, 200, { access_token: token, token_type: 'bearer', expires_in: 86399 })
      return
    }
    const bearer = auth.startsWith('Bearer ') ? auth.slice(7) : ''
    if (!tokens.get(key)?.has(bearer)) {
      sendJson(res, 401, { message: 'Invalid login credentials.', code: 'bad.credentials', status: 401 })
      return
    }
    if (await applyBehaviour(scripts.next(key), req, res)) return
    if (typeof body !== 'object' || body === null) {
      sendJson(res, 400, { message: 'body must be JSON', code: 'bad.request', status: 400 })
      return
    }
    sendJson(res, 202, { id: `gen-${issued}-${Date.now()}`, ...(body as object) })
  })
  return { server, scripts }
}
