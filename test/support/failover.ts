import { twilioTenant } from './twilio'

/** The routes of the failover tests: SCG first, Twilio second, each with its own sender. */
export const SCG_SENDER = 'channel:RoutePrimary000000000001'
export const TWILIO_FROM = '+18885550177'
export const ROUTES = {
  SMS: [
    { provider: 'scg', sender: SCG_SENDER },
    { provider: 'twilio', sender: TWILIO_FROM },
  ],
}

/**
 * A tenant of its own id (breakers are per tenant and keep their state across a test file) with SCG
 * and Twilio credentials and `ROUTES`, unless `extra` says otherwise.
 */
export function routedTenant(extra: Record<string, unknown> = {}) {
  const id = `r${crypto.randomUUID().replaceAll('-', '').slice(0, 23)}`
  return twilioTenant(id, { routes: ROUTES, ...extra })
}
export type RoutedTenant = ReturnType<typeof routedTenant>
