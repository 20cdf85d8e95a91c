import type http from 'node:http'

/**
 * Shared machinery of the fake providers: per-key (usually per token) scripted answers and a request
 * log, driven over HTTP by the tests through `/__control/...` routes.
 */

/** One scripted answer. Without a behaviour the fake answers as the real service would on success. */
export interface Behaviour {
  status?: number
  body?: unknown
  headers?: Record<string, string>
  /** Wait this long before answering. */
  delayMs?: number
  /** Never answer (the socket is closed after `hangMs`, default 30 s). */
  hang?: boolean
  hangMs?: number
  /** Destroy the connection without an answer. */
  drop?: boolean
  /**
   * Accept the request as the real service would (the message is created and shows up in look-ups),
   * then answer only after this many ms: a slow provider, not a down one.
   */
  acceptLateMs?: number
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

export interface Recorded {
  at: number
  method: string
  path: string
  headers: Record<string, string>
  body: unknown
  raw: string
}

interface KeyState {
  queue: Behaviour[]
  /** Used when the queue is empty; cleared with `{ mode: null }`. */
  mode: Behaviour | null
  requests: Recorded[]
}

export class Scripts {
  private readonly keys = new Map<string, KeyState>()

  private state(key: string): KeyState {
    let s = this.keys.get(key)
    if (!s) {
      s = { queue: [], mode: null, requests: [] }
      this.keys.set(key, s)
    }
    return s
  }

  script(key: string, responses: Behaviour[] = [], mode?: Behaviour | null) {
    const s = this.state(key)
    s.queue.push(...responses)
    if (mode !== undefined) s.mode = mode
  }

  reset(key: string) {
    this.keys.delete(key)
  }

  record(key: string, r: Recorded) {
    this.state(key).requests.push(r)
  }

  requests(key: string): Recorded[] {
    return this.state(key).requests
  }

  /** The behaviour for the next request of `key` (queue first, then the standing mode). */
  next(key: string): Behaviour | null {
    const s = this.state(key)
    return s.queue.shift() ?? s.mode
  }
}

export async function readRaw(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const c of req) chunks.push(c as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

export function headersOf(req: http.IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(req.headers))
    if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v
  return out
}

export function sendJson(
  res: http.ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  const text = JSON.stringify(body)
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  })
  res.end(text)
}

/**
 * Apply a scripted behaviour. Returns true when it fully handled the response (drop/hang/explicit
 * status); false means "answer normally".
 */
export async function applyBehaviour(
  b: Behaviour | null,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<boolean> {
  if (!b) return false
  if (b.delayMs) await new Promise((r) => setTimeout(r, b.delayMs))
  if (b.drop) {
    req.socket.destroy()
    return true
  }
  if (b.hang) {
    const timer = setTimeout(() => req.socket.destroy(), b.hangMs ?? 30_000)
    req.socket.once('close', () => clearTimeout(timer))
    return true
  }
  if (b.status !== undefined) {
    if (typeof b.body === 'string') {
      res.writeHead(b.status, { 'content-type': 'text/plain', ...b.headers })
      res.end(b.body)
    } else if (b.body === undefined) {
      res.writeHead(b.status, b.headers ?? {})
      res.end()
    } else {
      sendJson(res, b.status, b.body, b.headers)
    }
    return true
  }
  return false
}

/**
 * Control routes common to every fake:
 *   POST /__control/script   {key, responses?: Behaviour[], mode?: Behaviour|null}
 *   POST /__control/reset    {key}
 *   GET  /__control/requests?key=…
 * `onReset` lets a fake clear its own per-key state along with the scripts.
 */
export async function handleControl(
  scripts: Scripts,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  url: URL,
  onReset?: (key: string) => void,
): Promise<boolean> {
  if (!url.pathname.startsWith('/__control/')) return false
  const action = url.pathname.slice('/__control/'.length)
  if (req.method === 'GET' && action === 'requests') {
    sendJson(res, 200, scripts.requests(url.searchParams.get('key') ?? ''))
    return true
  }
  const body = JSON.parse((await readRaw(req)) || '{}') as {
    key?: string
    responses?: Behaviour[]
    mode?: Behaviour | null
  }
  if (!body.key) {
    sendJson(res, 400, { error: 'key is required' })
    return true
  }
  if (action === 'script') scripts.script(body.key, body.responses, body.mode)
  else if (action === 'reset') {
    scripts.reset(body.key)
    onReset?.(body.key)
  } else {
    sendJson(res, 404, { error: `unknown control action ${action}` })
    return true
  }
  sendJson(res, 200, { ok: true })
  return true
}

/**
 * Read a CI360 gateway request, check its Bearer token with `verifyToken` and record it under `key`:
 * the raw body, its JSON (or undefined) and the token's client id (undefined when the token is refused).
 */
export async function recordCi360Request(
  scripts: Scripts,
  key: string,
  req: http.IncomingMessage,
  url: URL,
  verifyToken: (token: string) => string | undefined,
) {
  const raw = await readRaw(req)
  const auth = req.headers.authorization ?? ''
  const clientId = verifyToken(auth.startsWith('Bearer ') ? auth.slice(7) : '')
  let body: unknown
  try {
    body = JSON.parse(raw)
  } catch {
    body = undefined
  }
  const headers = { ...headersOf(req), client_id: clientId ?? '' }
  scripts.record(key, { at: Date.now(), method: req.method ?? '', path: url.pathname, headers, body, raw })
  return { raw, body, clientId }
}
