import type { Runtime } from '../../src/deps'
import type { CronLimits } from '../../src/retry/cron'
import { runScheduled } from '../../src/scheduled'
import { appWith } from './app'
import { type Clock, createClock, seededRandom } from './clock'
import { basicEventManager, createEventManager, type EventManagerAuth } from './event-manager'
import { type MulticloudOptions, multicloudRequest, openMessagingRequest } from './genesys'
import { captureQueue, drainQueue } from './queue'
import { rows, seed } from './rows'
import type { WebhookCredentials } from './scg-webhook'
import { type Params, twilioWebhookRequest, type WebhookOptions } from './twilio'
import { type CallInit, call, envWith, type TestTenant } from './worker'

const ORIGIN = 'https://connector.example.com'

export interface HarnessOptions {
  /** Global vars beside the tenants' secrets. */
  vars?: Record<string, unknown>
  /** The clock of the deps (and of `runCron`); a new one at the present time if absent. */
  clock?: Clock
  /**
   * Where requests go: the whole Worker (its default export, real clock; the default) or the app built
   * on the harness's deps, so requests and `runCron` share the clock and the runtime overrides.
   */
  via?: 'worker' | 'app'
  /** Runtime overrides of the harness's deps (fetch, storage, log). */
  runtime?: Partial<Runtime>
}

/**
 * One test's world: its tenants' env, the deps on a settable clock, the cron, typed requests to every
 * route family, and the stored rows by name. Tenants come from the builders of `worker.ts`,
 * `twilio.ts`, `genesys.ts` and `scg-webhook.ts`; the fakes are keyed by them.
 */
export function createHarness(tenants: TestTenant[] = [], o: HarnessOptions = {}) {
  const testEnv = envWith(tenants, o.vars)
  const clock = o.clock ?? createClock()
  const sends = captureQueue()
  const { app, deps } = appWith(testEnv, {
    now: clock.now,
    random: seededRandom(42),
    sends: sends.queue,
    ...o.runtime,
  })

  /** A request to `path` (a JSON body unless a string), as `call()` builds it. */
  function request(path: string, init: CallInit = {}): Promise<Response> {
    if (o.via !== 'app') return call(testEnv, path, init)
    const body =
      init.body === undefined
        ? undefined
        : typeof init.body === 'string'
          ? init.body
          : JSON.stringify(init.body)
    return Promise.resolve(
      app.request(`${ORIGIN}${path}`, {
        method: init.method ?? (body === undefined ? 'GET' : 'POST'),
        headers: init.headers,
        body,
      }),
    )
  }

  const ci360Send =
    (provider: 'scg' | 'twilio') =>
    (t: TestTenant, event: unknown, tenantId: string = t.id) =>
      request(`/v1/tenants/${tenantId}/${provider}/messages`, {
        body: JSON.stringify(event),
        headers: { 'x-api-key': t.apiKey, 'content-type': 'text/plain;charset=UTF-8' },
      })

  const post = {
    /** A CI360 event to the tenant's SCG route. */
    scg: ci360Send('scg'),
    /** A CI360 event to the tenant's Twilio route. */
    twilio: ci360Send('twilio'),
    /** A signed form webhook, as Twilio posts status callbacks and incoming messages. */
    twilioWebhook: (path: string, params: Params, token: string, opts: WebhookOptions = {}) =>
      request(path, twilioWebhookRequest(path, params, token, opts)),
    /** A Genesys Open Messaging message, signed with the tenant's secret unless a signature is given. */
    openMessaging: (t: { id: string; outboundSecret: string }, body: unknown, signature?: string | null) => {
      const r = openMessagingRequest(t, body, signature)
      return request(r.path, r.init)
    },
    /** A Genesys Multicloud channel webhook, signed with the channel's secret unless a signature is given. */
    multicloud: (
      t: { id: string; webhookSecrets: Record<string, string> },
      body: unknown,
      opts: MulticloudOptions = {},
    ) => {
      const r = multicloudRequest(t, body, opts)
      return request(r.path, r.init)
    },
    /** An operator API call with the tenant's admin key. */
    admin: (t: TestTenant, path: string, init: CallInit = {}) =>
      request(`/v1/tenants/${t.id}${path}`, {
        ...init,
        headers: { 'x-api-key': t.adminKey, ...init.headers },
      }),
  }

  /** A fake Event Manager posting to the tenant's webhook route (Basic auth with its credentials). */
  function eventManager(
    t: TestTenant & { webhook: WebhookCredentials },
    opts: { auth?: EventManagerAuth; format?: 'json' | 'xml' } = {},
  ) {
    if (!opts.auth) return basicEventManager(request, t, opts.format)
    return createEventManager({
      send: request,
      url: `/v1/webhooks/scg/${t.id}`,
      auth: opts.auth,
      ...(opts.format ? { format: opts.format } : {}),
    })
  }

  return {
    env: testEnv,
    app,
    deps,
    clock,
    /** One cron run at the clock's time, as `scheduled` runs it. */
    runCron: (limits?: CronLimits) => runScheduled(deps, clock.now(), limits),
    /** The send queue (`send_mode: queued`) as captured: what the app and the consumer put on it. */
    sends,
    /**
     * Run the send queue's consumer once over every message put on the queue so far (their delays
     * ignored), as one batch; returns the messages' acks and retries.
     */
    drainSends: () => drainQueue(deps, sends),
    request,
    post,
    eventManager,
    rows,
    seed,
  }
}

export type Harness = ReturnType<typeof createHarness>
