import * as z from 'zod/mini'
import { AppError } from '../lib/app-error'
import { expected, optionalText, optionalUrl, stringList, text } from './coerce'
import { GenesysSchema } from './genesys'
import { formatIssues, parseSettings, pickSettingInput, type Settings } from './settings'

const credential = text.check(z.minLength(1, { error: 'must not be empty' }))

/** Event Manager webhook credentials: HTTP Basic and/or OAuth 2.0 clients. */
export const WebhookAuthSchema = z
  .object(
    {
      basic: z.optional(
        z.object({ username: credential, password: credential }, { error: expected('an object') }),
      ),
      oauth_clients: z.optional(
        z.array(z.object({ client_id: credential, client_secret: credential }), {
          error: expected('a list'),
        }),
      ),
    },
    { error: expected('an object') },
  )
  .check(
    z.refine((v) => v.basic !== undefined || (v.oauth_clients?.length ?? 0) > 0, {
      error: 'needs basic and/or oauth_clients',
    }),
  )

export type WebhookAuth = z.infer<typeof WebhookAuthSchema>

const httpsUrl = optionalUrl

/**
 * The secret part of `TENANT_<id>`: the Lambda secret store's keys plus our own. Any setting may also
 * appear in the same JSON as a per-tenant override (parsed by `SettingsSchema`).
 */
export const TenantSecretSchema = z.object(
  {
    api_keys: stringList.check(z.minLength(1, { error: 'needs at least one key' })),
    admin_api_keys: z._default(stringList, []),
    ci360_api_url: httpsUrl,
    ci360_token: optionalText,
    ci360_client_secret: optionalText,
    scg_api_url: httpsUrl,
    scg_access_token: optionalText,
    twilio_api_url: httpsUrl,
    twilio_account_sid: optionalText,
    twilio_auth_token: optionalText,
    scg_webhook: z.optional(WebhookAuthSchema),
    aws_access_key_id: optionalText,
    aws_secret_access_key: optionalText,
    genesys: z.optional(GenesysSchema),
  },
  { error: expected('a JSON object') },
)

export type TenantSecrets = z.infer<typeof TenantSecretSchema>

/** One tenant, fully resolved: its settings (global vars + its overrides) and its credentials. */
export interface TenantConfig {
  readonly id: string
  readonly settings: Settings
  readonly secrets: TenantSecrets
}

/** Tenant ids become secret names (`TENANT_<id>`), so only a safe alphabet is looked up. */
export const TENANT_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/

export const tenantSecretName = (tenantId: string) => `TENANT_${tenantId}`

/** A `TENANT_<id>` secret as `[secret name, tenant id, JSON value]`, its fields not parsed. */
export type RawTenantSecret = [name: string, tenantId: string, value: unknown]

/**
 * Every `TENANT_<id>` secret of `env` as `[secret name, tenant id, JSON value]`, read without parsing
 * its fields (for indexes over all tenants); a secret that is not JSON is skipped, since the tenant's
 * own parse reports it when the tenant is used.
 */
export function rawTenantSecrets(env: Record<string, unknown>): RawTenantSecret[] {
  const prefix = tenantSecretName('')
  const out: RawTenantSecret[] = []
  for (const [name, raw] of Object.entries(env)) {
    const tenantId = name.slice(prefix.length)
    if (!name.startsWith(prefix) || !TENANT_ID_PATTERN.test(tenantId)) continue
    if (typeof raw !== 'string') {
      out.push([name, tenantId, raw])
      continue
    }
    try {
      out.push([name, tenantId, JSON.parse(raw)])
    } catch {
      // reported by the tenant's own parse
    }
  }
  return out
}

export type TenantParse = { ok: true; tenant: TenantConfig } | { ok: false; issues: string[] }

export function parseTenant(
  tenantId: string,
  raw: unknown,
  globalSettingInput: Record<string, unknown>,
): TenantParse {
  const where = `${tenantSecretName(tenantId)}.`
  let value: unknown = raw
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw)
    } catch {
      return { ok: false, issues: [`${tenantSecretName(tenantId)}: must be a JSON object`] }
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, issues: [`${tenantSecretName(tenantId)}: must be a JSON object`] }
  }
  const record = value as Record<string, unknown>
  const secrets = TenantSecretSchema.safeParse(record)
  const settings = parseSettings({ ...globalSettingInput, ...pickSettingInput(record) }, where)
  const issues = [
    ...(secrets.success ? [] : formatIssues(secrets.error, where)),
    ...(settings.ok ? [] : settings.issues),
  ]
  if (!secrets.success || !settings.ok) return { ok: false, issues }
  return { ok: true, tenant: { id: tenantId, settings: settings.settings, secrets: secrets.data } }
}

/**
 * The tenant's secrets when every one of `keys` is set; otherwise `CONFIG_INVALID` naming them, so the
 * operator knows what to add for `purpose` (a provider, CI360).
 */
export function requireSecrets<K extends keyof TenantSecrets>(
  tenant: TenantConfig,
  purpose: string,
  keys: readonly K[],
): TenantSecrets & { [P in K]-?: NonNullable<TenantSecrets[P]> } {
  if (keys.some((k) => !tenant.secrets[k])) {
    throw new AppError(
      'CONFIG_INVALID',
      `This tenant is not configured for ${purpose} (${keys.join(' and ')} are required).`,
    )
  }
  return tenant.secrets as TenantSecrets & { [P in K]-?: NonNullable<TenantSecrets[P]> }
}
