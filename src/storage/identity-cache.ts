import type { Logger } from '../lib/log'
import { describeError } from '../lib/log'

/** KV value under `phone:+<digits>` (docs/storage.md); the field names are the Lambda table's. */
export interface IdentityEntry {
  datahub_id: string
  tenant_id: string
  expire_ts: number
}

/** Phone → (identity, tenant) for routing replies. A cache only: misses and KV errors are tolerated. */
export interface IdentityCache {
  /** Never throws: a failed write is logged, the send it follows still succeeded. */
  remember(phone: string, datahubId: string, tenantId: string, now: number): Promise<void>
  /** Undefined on a miss or a KV error. */
  lookup(phone: string): Promise<IdentityEntry | undefined>
}

export const identityKey = (phone: string) => `phone:${phone}`

export function createIdentityCache(kv: KVNamespace, ttlSeconds: number, log: Logger): IdentityCache {
  const ttl = Math.max(60, ttlSeconds)
  return {
    async remember(phone, datahubId, tenantId, now) {
      const value: IdentityEntry = {
        datahub_id: datahubId,
        tenant_id: tenantId,
        expire_ts: Math.floor(now / 1000) + ttl,
      }
      try {
        await kv.put(identityKey(phone), JSON.stringify(value), { expirationTtl: ttl })
      } catch (e) {
        log.warn('identity cache write failed', describeError(e))
      }
    },
    async lookup(phone) {
      try {
        const value = await kv.get<IdentityEntry>(identityKey(phone), 'json')
        if (!value || typeof value.datahub_id !== 'string' || typeof value.tenant_id !== 'string')
          return undefined
        return value
      } catch (e) {
        log.warn('identity cache read failed', describeError(e))
        return undefined
      }
    },
  }
}
