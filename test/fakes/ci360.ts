import { createHmac, timingSafeEqual } from 'node:crypto'
import http from 'node:http'
import { CI360_CLIENT_SECRETS, CI360_STATIC_TOKEN_PREFIX } from '../support/constants'
import { createMarketingData } from './ci360-marketing-data'
import { applyBehaviour, handleControl, readRaw, recordCi360Request, Scripts, sendJson } from './scripted'

/**
 * A fake CI360 external events gateway: `POST <any prefix>/marketingGateway/events`. The path prefix
 * keys the scripts and the request log, so each test points its tenant at its own prefix.
 *
 * Auth: `Bearer <static token>` starting with `ci360-static-`, or the static JWT of docs/protocols.md
 * ("External events"), verified with the tenant's client secret (HMAC key = base64 text of the secret); anything else
 * gets 401. A recorded request carries `client_id` (the JWT's `clientID`) for assertions.
 *
 * Rate limit: the real gateway answers 403 once a source IP passes 700,000 requests in 5 minutes. All
 * tests share 127.0.0.1, so the fake counts per key instead: `POST /__control/rate-limit {key, max,
 * window_ms?, body?, headers?}` makes request `max + 1` onwards within the window get that 403 (`max:
 * null` lifts it). The gateway's wording is not published; `body` and `headers` let a test pick one.
 *
 * The contact-preference import (`<prefix>/marketingData/…`, the signed upload URL) is in
 * `ci360-marketing-data.ts`.
 */
export function createFakeCi360() {
  const scripts = new Scripts()
  const limits = new Map<string, RateLimit>()
  const marketingData = createMarketingData(scripts, verifyToken)
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake')
    if (await marketingData.handle(req, res, url)) return
    if (url.pathname === '/__control/rate-limit') {
      setRateLimit(limits, JSON.parse((await readRaw(req)) || '{}'))
      sendJson(res, 200, { ok: true })
      return
    }
    if (await handleControl(scripts, req, res, url)) return
    const m = /^(.*)\/marketingGateway\/events$/.exec(url.pathname)
    if (req.method !== 'POST' || !m) {
      sendJson(res, 404, { message: 'Not Found' })
      return
    }
    const key = m[1] ?? ''
    const { body, clientId } = await recordCi360Request(scripts, key, req, url, verifyToken)
    const limited = overLimit(limits.get(key))
    if (limited) {
      sendJson(res, 403, limited.body, limited.headers)
      return
    }
    if (clientId === undefined) {
      sendJson(res, 401, { message: 'Unauthorized' })
      return
    }
    if (await applyBehaviour(scripts.next(key), req, res)) return
    if (!req.headers['content-type']?.startsWith('application/json')) {
      sendJson(res, 415, { message: 'Unsupported Media Type' })
      return
    }
    if (
      typeof body !== 'object' ||
      body === null ||
      typeof (body as { eventName?: unknown }).eventName !== 'string'
    ) {
      sendJson(res, 400, { message: 'eventName is required' })
      return
    }
    res.writeHead(201, { 'content-type': 'application/json' })
    res.end('{}')
  })
  return { server, scripts }
}

interface RateLimit {
  max: number
  windowMs: number
  body: unknown
  headers: Record<string, string>
  hits: number[]
}

/** The assumed wording (see the README's Troubleshooting section for every form the Worker accepts). */
const RATE_LIMIT_BODY = { message: 'Rate limit exceeded: too many requests from this IP address' }

function setRateLimit(
  limits: Map<string, RateLimit>,
  c: {
    key?: string
    max?: number | null
    window_ms?: number
    body?: unknown
    headers?: Record<string, string>
  },
) {
  if (!c.key) return
  if (c.max === null || c.max === undefined) {
    limits.delete(c.key)
    return
  }
  limits.set(c.key, {
    max: c.max,
    windowMs: c.window_ms ?? 300_000,
    body: c.body ?? RATE_LIMIT_BODY,
    headers: c.headers ?? {},
    hits: [],
  })
}

/** Count this request; the limit when it is past `max` in the sliding window, else undefined. */
function overLimit(limit: RateLimit | undefined): RateLimit | undefined {
  if (!limit) return undefined
  const now = Date.now()
  limit.hits = limit.hits.filter((at) => at > now - limit.windowMs)
  limit.hits.push(now)
  return limit.hits.length > limit.max ? limit : undefined
}

/** The tenant a token stands for: `static` for static tokens, the JWT's clientID, or undefined. */
function verifyToken(token: string): string | undefined {
  if (token.startsWith(CI360_STATIC_TOKEN_PREFIX)) return 'static'
  const parts = token.split('.')
  if (parts.length !== 3) return undefined
  const [header, payload, signature] = parts as [string, string, string]
  let clientId: unknown
  try {
    clientId = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')).clientID
  } catch {
    return undefined
  }
  if (typeof clientId !== 'string') return undefined
  const secret = CI360_CLIENT_SECRETS[clientId]
  if (!secret) return undefined
  const key = Buffer.from(secret, 'utf8').toString('base64')
  const expected = createHmac('sha256', key).update(`${header}.${payload}`).digest()
  const given = Buffer.from(signature, 'base64url')
  return given.length === expected.length && timingSafeEqual(given, expected) ? clientId : undefined
}
