import type { TenantConfig } from '../config/tenant'
import type { RequestContext } from '../deps'
import { sendOrStore } from '../outbox/send-or-store'
import { callGenesys, type GenesysCall } from '../providers/genesys/client'

/**
 * Post a receipt or a customer's message to Genesys, or store it as a `genesys_event` failed request
 * (the outbox). `key` makes the store idempotent. Throws `StorageError` only when the call could be
 * neither made nor stored.
 */
export const forwardOrQueue = (ctx: RequestContext, tenant: TenantConfig, key: string, call: GenesysCall) =>
  sendOrStore(
    ctx,
    { tenantId: tenant.id, kind: 'genesys_event', key, upstream: 'genesys', body: JSON.stringify(call) },
    () => callGenesys(ctx, tenant, call),
    { okStatus: (status) => status },
  )
