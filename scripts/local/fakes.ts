/**
 * The local stand-ins for SCG, CI360, Twilio, S3, CI360's file storage and Genesys Cloud — the same fake servers the
 * tests use — on fixed or random 127.0.0.1 ports, for `npm start`, `npm run demo` and `npm run bench`.
 */
import type http from 'node:http'
import { createFakeCi360 } from '../../test/fakes/ci360'
import { createFakeGenesys } from '../../test/fakes/genesys'
import { createFakeS3 } from '../../test/fakes/s3'
import { createFakeScg } from '../../test/fakes/scg'
import { createFakeSource } from '../../test/fakes/source'
import { createFakeTwilio } from '../../test/fakes/twilio'

export const DEMO_PORTS = {
  scg: 8791,
  ci360: 8792,
  twilio: 8793,
  s3: 8794,
  source: 8795,
  genesys: 8796,
} as const
export type FakeName = keyof typeof DEMO_PORTS
export type FakeUrls = Record<FakeName, string>

export interface HopEvent {
  fake: FakeName
  method: string
  path: string
  status: number
  ms: number
}

export interface LocalFakes {
  urls: FakeUrls
  close(): Promise<void>
}

/** Start every fake; `onHop` sees each request they answer (for the live log of `npm start`). */
export async function startLocalFakes(
  ports: Record<FakeName, number> | 'random',
  onHop?: (hop: HopEvent) => void,
  buckets: string[] = [],
): Promise<LocalFakes> {
  const s3 = createFakeS3()
  await s3.start()
  const servers: [FakeName, http.Server][] = [
    ['scg', createFakeScg().server],
    ['ci360', createFakeCi360().server],
    ['twilio', createFakeTwilio().server],
    ['s3', s3.server],
    ['source', createFakeSource().server],
    ['genesys', createFakeGenesys().server],
  ]
  const urls = {} as FakeUrls
  for (const [name, server] of servers) {
    if (onHop) {
      server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
        const started = performance.now()
        const path = (req.url ?? '/').split('?')[0] ?? '/'
        if (path.startsWith('/__control/')) return
        res.on('finish', () =>
          onHop({
            fake: name,
            method: req.method ?? 'GET',
            path,
            status: res.statusCode,
            ms: performance.now() - started,
          }),
        )
      })
    }
    const port = ports === 'random' ? 0 : ports[name]
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, '127.0.0.1', resolve)
    })
    urls[name] = `http://127.0.0.1:${(server.address() as { port: number }).port}`
  }
  for (const bucket of buckets) {
    await fetch(`${urls.s3}/__control/bucket`, { method: 'POST', body: JSON.stringify({ name: bucket }) })
  }
  return {
    urls,
    async close() {
      for (const [, server] of servers) server.closeAllConnections()
      await Promise.all(servers.map(([, s]) => new Promise<void>((resolve) => s.close(() => resolve()))))
      await s3.close()
    },
  }
}
