import { StorageError } from '../lib/app-error'
import type { Logger } from '../lib/log'
import { describeError } from '../lib/log'

/** KV value under both identity keys (docs/storage.md); the field names are the Lambda table's. */
export interface IdentityEntry {
  datahub_id: string
  tenant_id: string
  expire_ts: number
}

/** The global entry names a tenant whose own entry is newer or maps the phone to someone else. */
export const STALE = 'stale' as const

/**
 * Phone → (identity, tenant) for routing replies. A cache only: misses and KV errors are tolerated.
 * Each send writes two keys (docs/storage.md, "KV namespace `IDENTITY_CACHE`"): the global `phone:+<digits>` (last
 * writer wins, read by the global webhook route) and the tenant's own, so one tenant's sends never
 * hide another tenant's mapping from that tenant's route.
 */
export interface IdentityCache {
  /** Never throws: a failed write is logged, the send it follows still succeeded. */
  remember(phone: string, datahubId: string, tenantId: string, now: number): Promise<void>
  /**
   * `remember`, but only when either key's entry `needsWrite` (both keys are read at once, and both are
   * written together so their `expire_ts` stay equal, which the global route's check relies on).
   */
  rememberIfChanged(phone: string, datahubId: string, tenantId: string, now: number): Promise<void>
  /**
   * The entry a reply on `routeTenantId`'s route (undefined: the global route) is routed by; undefined
   * on a miss. A KV error is a miss too, unless `kvErrors` is `throw`: then it is a `StorageError`
   * (503), for callers whose sender redelivers and whose event would otherwise be lost.
   */
  lookup(
    phone: string,
    routeTenantId: string | undefined,
    kvErrors?: 'miss' | 'throw',
  ): Promise<IdentityEntry | typeof STALE | undefined>
}

export const identityKey = (phone: string) => `phone:${phone}`
export const tenantIdentityKey = (tenantId: string, phone: string) => `tenant:${tenantId}:phone:${phone}`

/**
 * Whether a stored entry must be (re)written. KV accepts one write per second per key
 * (<https://developers.cloudflare.com/kv/platform/limits/>), and a campaign may message one number
 * several times a second: write only a new or changed mapping, or one past half its TTL (so an active
 * number does not expire).
 */
export function needsWrite(
  current: IdentityEntry | undefined,
  datahubId: string,
  tenantId: string,
  nowS: number,
  ttlS: number,
): boolean {
  if (!current || current.datahub_id !== datahubId || current.tenant_id !== tenantId) return true
  return typeof current.expire_ts !== 'number' || current.expire_ts - nowS < ttlS / 2
}

const valid = (v: IdentityEntry | null): IdentityEntry | undefined =>
  v && typeof v.datahub_id === 'string' && typeof v.tenant_id === 'string' ? v : undefined

export function createIdentityCache(kv: KVNamespace, ttlSeconds: number, log: Logger): IdentityCache {
  const ttl = Math.max(60, ttlSeconds)
  const read = async (key: string) => valid(await kv.get<IdentityEntry>(key, 'json'))

  /**
   * A tenant route: its own entry; without one, the global entry (written before tenant entries existed,
   * or naming another tenant, whose reply the planner then ignores on this route).
   */
  async function forTenant(phone: string, tenantId: string) {
    return (await read(tenantIdentityKey(tenantId, phone))) ?? (await read(identityKey(phone)))
  }

  /** The global route: today's last-writer rule, unless the named tenant's own entry disagrees. */
  async function forGlobal(phone: string) {
    const global = await read(identityKey(phone))
    if (!global) return undefined
    const own = await read(tenantIdentityKey(global.tenant_id, phone))
    // No own entry: written before tenant entries existed (same TTL, so it cannot have expired first).
    if (own && (own.datahub_id !== global.datahub_id || own.expire_ts > global.expire_ts)) return STALE
    return global
  }

  return {
    async remember(phone, datahubId, tenantId, now) {
      const value: IdentityEntry = {
        datahub_id: datahubId,
        tenant_id: tenantId,
        expire_ts: Math.floor(now / 1000) + ttl,
      }
      const body = JSON.stringify(value)
      const put = (key: string) =>
        kv.put(key, body, { expirationTtl: ttl }).catch((e: unknown) => {
          log.warn('identity cache write failed', describeError(e))
        })
      await Promise.all([put(identityKey(phone)), put(tenantIdentityKey(tenantId, phone))])
    },
    async rememberIfChanged(phone, datahubId, tenantId, now) {
      const stored = await Promise.all([
        read(identityKey(phone)),
        read(tenantIdentityKey(tenantId, phone)),
      ]).catch((e: unknown) => {
        log.warn('identity cache read failed', describeError(e))
        return [undefined]
      })
      const nowS = Math.floor(now / 1000)
      if (stored.length < 2 || stored.some((e) => needsWrite(e, datahubId, tenantId, nowS, ttl)))
        await this.remember(phone, datahubId, tenantId, now)
    },
    async lookup(phone, routeTenantId, kvErrors = 'miss') {
      try {
        return routeTenantId ? await forTenant(phone, routeTenantId) : await forGlobal(phone)
      } catch (e) {
        if (kvErrors === 'throw') throw new StorageError('identity_cache.lookup', e)
        log.warn('identity cache read failed', describeError(e))
        return undefined
      }
    },
  }
}
