import { ci360ConfigOf } from '../ci360/client'
import {
  contactPreferenceCsv,
  createContactPreferenceClient,
  gatewayOf,
  isSmsId,
  type SmsPreference,
} from '../ci360/contact-preferences'
import type { TenantConfig } from '../config/tenant'
import type { Deps, RequestContext } from '../deps'
import { describeError, type Logger } from '../lib/log'
import { nextAttemptAt } from '../outbox/backoff'
import type { SuppressionChange } from '../storage/suppressions'

/** Changes read per upload (one CSV, one import job). */
export const UPLOAD_BATCH = 5000
/** Uploads per tenant and run when the backlog is larger than one batch. */
export const MAX_BATCHES_PER_RUN = 4

/** What one cron run uploaded (also in the cron's log line). */
export interface ContactPreferenceReport {
  /** CSV rows sent to CI360. */
  rows: number
  /** Tenants whose run failed (their changes stay pending). */
  failed: number
}

/**
 * The CI360 contact-preference upload of every tenant with `ci360_contact_preferences` (docs/compliance.md):
 * each due tenant's pending opt-outs/opt-ins go to CI360 as one CSV import per batch, then are marked
 * uploaded. A failure leaves them pending and backs the tenant off. Never throws.
 */
export async function uploadContactPreferences(ctx: RequestContext): Promise<ContactPreferenceReport> {
  const { log } = ctx
  const deps = ctx
  const report: ContactPreferenceReport = { rows: 0, failed: 0 }
  for (const id of deps.config.tenantIds()) {
    const tenant = enabledTenant(deps, id)
    if (!tenant) continue
    try {
      const r = await uploadTenant(deps, log, tenant)
      report.rows += r.rows
      if (!r.ok) report.failed++
    } catch (e) {
      // D1 failing: the claim's lease runs out and a later run tries again.
      report.failed++
      log.error('contact preference upload failed', { tenant: id, ...describeError(e) })
    }
  }
  return report
}

/** The tenant when its configuration parses and turns the upload on. */
function enabledTenant(deps: Deps, id: string): TenantConfig | undefined {
  try {
    const tenant = deps.config.tenant(id)
    return tenant?.settings.ci360_contact_preferences ? tenant : undefined
  } catch {
    // A tenant secret that does not parse is reported by the cron's retention step every run.
    return undefined
  }
}

/** Long enough for every call of a run at its timeout (3 calls per batch), plus a minute. */
const leaseOf = (tenant: TenantConfig) =>
  MAX_BATCHES_PER_RUN * 3 * tenant.settings.provider_timeout_ms + 60_000

async function uploadTenant(
  deps: Deps,
  log: Logger,
  tenant: TenantConfig,
): Promise<{ ok: boolean; rows: number }> {
  const store = deps.stores.contactPreferenceUploads
  const now = deps.now()
  const claim = await store.claim(tenant.id, now, leaseOf(tenant))
  if (!claim) return { ok: true, rows: 0 }
  const interval = tenant.settings.contact_preference_minutes * 60_000
  const fail = async (error: string, retryAfterMs?: number) => {
    const failures = claim.failures + 1
    const backoff = nextAttemptAt(now, failures, deps.random, retryAfterMs)
    const next = Math.max(backoff, now + interval)
    await store.failed(tenant.id, deps.now(), next, error)
    log.warn('contact preference upload failed', {
      tenant: tenant.id,
      failures,
      next_at: new Date(next).toISOString(),
      error,
    })
  }
  const target = targetOf(deps, tenant)
  if (typeof target === 'string') {
    await fail(target)
    return { ok: false, rows: 0 }
  }
  let rows = 0
  let last: { jobId: string; rows: number } | null = null
  for (let batch = 0; batch < MAX_BATCHES_PER_RUN; batch++) {
    const changes = await deps.stores.suppressions.pendingUpload(tenant.id, UPLOAD_BATCH)
    const lastChange = changes.at(-1)
    if (!lastChange) break
    const prefs = preferencesOf(changes)
    if (prefs.length > 0) {
      const sent = await target.importSms(contactPreferenceCsv(prefs))
      if (!sent.ok) {
        await fail(sent.error.summary(), sent.error.retryAfterMs)
        return { ok: false, rows }
      }
      last = { jobId: sent.value.jobId, rows: prefs.length }
      rows += prefs.length
      log.info('contact preferences uploaded', {
        tenant: tenant.id,
        rows: prefs.length,
        job_id: sent.value.jobId,
      })
    }
    await deps.stores.suppressions.markUploaded(tenant.id, lastChange.id, deps.now())
    if (changes.length < UPLOAD_BATCH) break
  }
  await store.succeeded(tenant.id, deps.now(), now + interval, last)
  return { ok: true, rows }
}

/** The tenant's contact-preference client, or why it has none. */
function targetOf(deps: Deps, tenant: TenantConfig) {
  const { ci360_api_url: url, ci360_token: token, ci360_client_secret: secret } = tenant.secrets
  if (!url || (!token && !secret)) {
    return 'not configured for CI360 (ci360_api_url and ci360_token or ci360_client_secret are required)'
  }
  const gateway = gatewayOf(url)
  if (!gateway) return 'ci360_api_url does not end with /marketingGateway/events, so the gateway is unknown'
  return createContactPreferenceClient(ci360ConfigOf(tenant), gateway, deps)
}

/**
 * The preferences a batch of changes amounts to: only tenant-wide SMS entries (CI360's `sms_id`
 * preference has no sender and no WhatsApp form, docs/compliance.md); an add is an opt-out, a remove an
 * opt-in; the latest change of a number wins.
 */
export function preferencesOf(changes: readonly SuppressionChange[]): SmsPreference[] {
  const latest = new Map<string, boolean>()
  for (const c of changes) {
    if (c.channel !== 'sms' || c.sender !== '' || !isSmsId(c.address)) continue
    latest.delete(c.address)
    latest.set(c.address, c.action === 'add')
  }
  return [...latest].map(([address, optOut]) => ({ address, optOut }))
}
