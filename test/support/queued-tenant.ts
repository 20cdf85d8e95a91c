import type { FakeUrls } from './constants'

/**
 * The tenant of the end-to-end queue test. It lives in the Worker's configured env (vitest.config.ts),
 * because the `SENDS` queue's consumer reads its tenant from there. Plain data: also imported by the
 * config.
 */
export const QUEUED_TENANT = {
  id: 'queuede2e',
  apiKey: 'queued-e2e-ci360-key',
  adminKey: 'queued-e2e-admin-key',
  scgToken: 'scg-queued-e2e',
  ci360Prefix: '/ci360-queued-e2e',
  sender: 'channel:QueuedEndToEnd000001',
  sentEvent: 'SMS Sent',
} as const

export function queuedTenantSecret(fakes: FakeUrls): Record<string, string> {
  const t = QUEUED_TENANT
  return {
    [`TENANT_${t.id}`]: JSON.stringify({
      api_keys: [t.apiKey],
      admin_api_keys: [t.adminKey],
      ci360_api_url: `${fakes.ci360}${t.ci360Prefix}/marketingGateway/events`,
      ci360_token: 'ci360-static-queued-e2e',
      scg_api_url: `${fakes.scg}/scg-external-api/api/v1/messaging/message_requests`,
      scg_access_token: t.scgToken,
      send_mode: 'queued',
      senders: { [t.sender]: { mps: 4 } },
      sent_event: t.sentEvent,
      provider_timeout_ms: 5000,
    }),
  }
}
