import type { TenantConfig } from '../config/tenant'
import type { FetchFn } from '../lib/http'
import type { ReachProbe } from '../upstream/probe'
import { createScgProvider, scgConfigOf } from './scg/client'
import { scgWebhook } from './scg/inbound'
import { createTwilioProvider, twilioConfigOf } from './twilio/client'
import { twilioInboundWebhook, twilioStatusWebhook } from './twilio/inbound'
import type { InboundSource, MessageProvider, ProviderId, WebhookFormat } from './types'

/**
 * Build the provider adapter for a tenant. Throws `CONFIG_INVALID` (500) when the tenant lacks the
 * provider's credentials. `origin` is this Worker's public origin, for callback URLs.
 */
export function createProvider(
  id: ProviderId,
  tenant: TenantConfig,
  deps: { fetch: FetchFn; now: () => number; probe?: ReachProbe | undefined },
  origin: string | undefined,
): MessageProvider {
  switch (id) {
    case 'scg':
      return createScgProvider(scgConfigOf(tenant), deps)
    case 'twilio':
      return createTwilioProvider(twilioConfigOf(tenant, origin), deps)
  }
}

/** Every inbound webhook's wire format, by source. */
export const webhookFormats: Record<InboundSource, WebhookFormat> = {
  scg: scgWebhook,
  'twilio-status': twilioStatusWebhook,
  'twilio-inbound': twilioInboundWebhook,
}
