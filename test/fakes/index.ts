import type http from 'node:http'
import type { FakeUrls } from '../support/constants'
import { createFakeCi360 } from './ci360'
import { createFakeGenesys } from './genesys'
import { createFakeS3 } from './s3'
import { createFakeScg } from './scg'
import { createFakeSource } from './source'
import { createFakeTwilio } from './twilio'

/** Start every fake on 127.0.0.1 (random ports); used by the test setup and the local demo. */
export async function startFakes(): Promise<{ urls: FakeUrls; close: () => Promise<void> }> {
  const servers: http.Server[] = []
  const listen = async (server: http.Server): Promise<string> => {
    servers.push(server)
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const address = server.address() as { port: number }
    return `http://127.0.0.1:${address.port}`
  }
  const s3 = createFakeS3()
  await s3.start()
  const urls: FakeUrls = {
    scg: await listen(createFakeScg().server),
    ci360: await listen(createFakeCi360().server),
    twilio: await listen(createFakeTwilio().server),
    s3: await listen(s3.server),
    source: await listen(createFakeSource().server),
    genesys: await listen(createFakeGenesys().server),
  }
  return {
    urls,
    close: async () => {
      await s3.close()
      await Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((resolve) => {
              s.closeAllConnections()
              s.close(() => resolve())
            }),
        ),
      )
    },
  }
}
