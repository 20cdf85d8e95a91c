/**
 * npm start: the connector on http://127.0.0.1:8787 (wrangler dev, local KV and D1) with local fakes for
 * SCG, CI360, Twilio, S3, CI360's file storage and Genesys Cloud. No Cloudflare account, no internet. Ctrl-C stops all.
 */
import { DEMO_PORTS, startLocalFakes } from './local/fakes'
import { fireCron, isUp, prepareLocalState, startWorker, WORKER_URL } from './local/worker'

const TENANT = '6b1f0e2a9c4d30018e7a52c4'
const GENESYS_TENANT = 'genesys_demo'
const dim = (s: string) => `\x1b[2m${s}\x1b[0m`

if (await isUp()) {
  console.error(`Something already answers on ${WORKER_URL}; stop it first (or just run npm run demo).`)
  process.exit(1)
}
prepareLocalState()
const fakes = await startLocalFakes(
  DEMO_PORTS,
  (hop) =>
    console.log(
      `  ${dim(`[${hop.fake}]`)} ${hop.method} ${hop.path} → ${hop.status} (${hop.ms.toFixed(0)} ms)`,
    ),
  ['demo-exports'],
)
let ready = false
const worker = await startWorker((line) => {
  if (line.includes('Ready on')) ready = true
  const text = ready ? workerLine(line) : /error|✘/i.test(line) ? line : undefined
  if (text) console.log(`  ${dim('[worker]')} ${text}`)
})
// Local dev does not fire cron triggers: fire the retry cron every minute, as production would, and
// say so loudly when it fails (queued messages would never be retried).
const cron = setInterval(() => {
  fireCron().catch((e: unknown) =>
    console.error(
      `  ${dim('[cron]')} \x1b[31mERROR ${e instanceof Error ? e.message : String(e)}; queued messages are not being retried\x1b[0m`,
    ),
  )
}, 60_000)

/** The Worker's JSON log lines, shortened; wrangler's request lines as they are; the rest dropped. */
function workerLine(line: string): string | undefined {
  if (line.startsWith('{')) {
    try {
      const { ts: _ts, level, msg, request_id: _rid, ...fields } = JSON.parse(line) as Record<string, unknown>
      const rest = Object.entries(fields).map(
        ([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`,
      )
      return `${level === 'info' ? '' : `${String(level).toUpperCase()} `}${msg} ${dim(rest.join(' '))}`
    } catch {
      return line
    }
  }
  if (line.includes('[wrangler:info]')) return line.replace('[wrangler:info] ', '')
  if (/error|✘/i.test(line) && !/Request\.cf|ENOTFOUND|getaddrinfo/.test(line)) return line
  return undefined
}

let stopping = false
/** Stop everything this script started (wrangler dev's process group, the fakes), then exit. */
const stop = async (code = 0) => {
  if (stopping) return
  stopping = true
  clearInterval(cron)
  worker.stop()
  await fakes.close().catch(() => undefined)
  process.exit(code)
}
process.on('SIGINT', () => void stop())
process.on('SIGTERM', () => void stop())
worker.child.on('exit', (code) => {
  if (!stopping) console.error(`wrangler dev exited (${code}); stopping.`)
  void stop(stopping ? 0 : 1)
})
// A fake dying (they run in this process) must not leave workerd holding the port.
for (const event of ['uncaughtException', 'unhandledRejection'] as const) {
  process.on(event, (e: unknown) => {
    console.error(`A local stand-in failed (${e instanceof Error ? e.message : String(e)}); stopping.`)
    void stop(1)
  })
}
// Last resort on any other way out: wrangler dev runs in its own process group, which would outlive us.
process.on('exit', () => worker.stop())

const event = `{"eventType":"outboundSystem","guid":"demo-'$(date +%s%N)'","date":{"generatedTimestamp":'$(date +%s000)'},"identityId":"3f9d2c71-8a4e-3b6f-9c1d-7e5a2b8f0c13","externalTenantId":"${TENANT}","properties":{"externalCode":"TSK_1187"},"impression":{"creativeContent":"TO:+14155550123;\\nFROM:channel:Zx8QpLm2RkWc4sTn7YbVhA;\\nHi Dana, your table is confirmed."}}`
console.log(`
CI360 edge connector running locally.

  Connector     ${WORKER_URL}            (API reference: ${WORKER_URL}/docs/)
  Demo tenant   ${TENANT}   x-api-key: demo-ci360-key   admin key: demo-admin-key
  Fakes         SCG ${fakes.urls.scg}  CI360 ${fakes.urls.ci360}  Twilio ${fakes.urls.twilio}
                S3 ${fakes.urls.s3} (bucket demo-exports)  files ${fakes.urls.source}
                Genesys ${fakes.urls.genesys} (tenant ${GENESYS_TENANT}: Open Messaging, Multicloud Nexus)
  Multicloud    ${WORKER_URL}/v1/genesys/${GENESYS_TENANT}/channels/sms-demo/webhook
                (channel sms-demo; X-Hub-Signature: sha1=<hex HMAC-SHA1, webhook secret in .dev.vars>)

Send an SMS through SCG (paste into another terminal):

  curl -s ${WORKER_URL}/v1/tenants/${TENANT}/scg/messages \\
    -H 'x-api-key: demo-ci360-key' -H 'content-type: text/plain;charset=UTF-8' \\
    -d '${event}'

Or watch the whole round trip: npm run demo      Stop everything: Ctrl-C
`)
