/** Whether a host takes TCP connections right now: `refused` (cannot connect), `open`, or `unknown`. */
export type Reach = 'refused' | 'open' | 'unknown'
export type ReachProbe = (url: string) => Promise<Reach>

type Socket = ReturnType<typeof import('cloudflare:sockets')['connect']>

/** How long a probe waits for the connection before it gives up (and says nothing). */
const PROBE_TIMEOUT_MS = 2_000

/**
 * Tell a refused connection from one cut after the request was written (docs/guarantees.md,
 * "Failover"): `fetch` reports both with one error, so after a transport error the host is dialled
 * again with a raw socket. "Cannot connect" (refused, no route, DNS) means our request never reached
 * the provider either; a connection that opens means the earlier failure may have come after the
 * request was sent, and the outcome stays unknown.
 */
export const probeReach: ReachProbe = async (url) => {
  let target: URL
  try {
    target = new URL(url)
  } catch {
    return 'unknown'
  }
  const port = Number(target.port) || (target.protocol === 'https:' ? 443 : 80)
  let socket: Socket | undefined
  try {
    // Loaded on first use: Node-side scripts (the OpenAPI generator) import this module's neighbours.
    const { connect } = await import('cloudflare:sockets')
    socket = connect({ hostname: target.hostname, port })
    // Its end is of no interest: a rejection there must not surface as an unhandled one.
    socket.closed.catch(() => undefined)
    const opened = await Promise.race([
      socket.opened.then(() => 'open' as const),
      new Promise<'unknown'>((r) => setTimeout(() => r('unknown'), PROBE_TIMEOUT_MS)),
    ])
    return opened
  } catch {
    return 'refused'
  } finally {
    socket?.close().catch(() => undefined)
  }
}
