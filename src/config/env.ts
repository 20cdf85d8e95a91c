import * as z from 'zod/mini'
import { AppError } from '../lib/app-error'
import { optionalText, preprocess } from './coerce'
import { indexGenesysNumbers } from './genesys-numbers'
import { indexOAuthClients, type OAuthClientOwner } from './oauth-clients'
import { formatIssues, parseSettings, pickSettingInput, type Settings } from './settings'
import {
  parseTenant,
  rawTenantSecrets,
  TENANT_ID_PATTERN,
  type TenantConfig,
  tenantSecretName,
  type WebhookAuth,
  WebhookAuthSchema,
} from './tenant'

const GlobalSecretsSchema = z.object({
  SCG_WEBHOOK_AUTH: preprocess((v) => {
    if (typeof v !== 'string') return v
    if (v.trim() === '') return undefined
    try {
      return JSON.parse(v)
    } catch {
      return '\u0000not-json'
    }
  }, z.optional(WebhookAuthSchema)),
  TOKEN_SIGNING_KEY: optionalText.check(
    z.refine((s) => s === undefined || s.length >= 32, { error: 'must be at least 32 characters' }),
  ),
  AWS_ACCESS_KEY_ID: optionalText,
  AWS_SECRET_ACCESS_KEY: optionalText,
})

export interface GlobalSecrets {
  scgWebhookAuth: WebhookAuth | undefined
  tokenSigningKey: string | undefined
  awsAccessKeyId: string | undefined
  awsSecretAccessKey: string | undefined
}

/** Everything the Worker is configured with, parsed once per isolate. */
export interface Config {
  /** The global `[vars]` (also what the global SCG webhook route uses). */
  readonly settings: Settings
  readonly secrets: GlobalSecrets
  /**
   * Look a tenant up by id. Undefined when no `TENANT_<id>` secret exists (the caller answers 401);
   * throws `CONFIG_INVALID` when the secret exists but does not parse.
   */
  tenant(tenantId: string): TenantConfig | undefined
  /** Ids of every `TENANT_<id>` secret present (not parsed), e.g. for per-tenant housekeeping. */
  tenantIds(): string[]
  /** Whose OAuth client this is (client ids are unique across `SCG_WEBHOOK_AUTH` and all tenants). */
  oauthClientOwner(clientId: string): OAuthClientOwner | undefined
  /** The id of the tenant whose `genesys.numbers` list `number` (E.164; unique across tenants). */
  genesysNumberOwner(number: string): string | undefined
}

export type ConfigResult = { ok: true; config: Config } | { ok: false; issues: string[] }

const cache = new WeakMap<object, ConfigResult>()

/** Parse (once per env object) the vars and global secrets; tenants are parsed on first use. */
export function loadConfig(env: Record<string, unknown>): ConfigResult {
  const hit = cache.get(env)
  if (hit) return hit
  const result = buildConfig(env)
  cache.set(env, result)
  return result
}

function buildConfig(env: Record<string, unknown>): ConfigResult {
  const settingInput = pickSettingInput(env)
  const settings = parseSettings(settingInput, '')
  const secrets = GlobalSecretsSchema.safeParse(env)
  const issues = [
    ...(settings.ok ? [] : settings.issues),
    ...(secrets.success ? [] : formatIssues(secrets.error, '')),
  ]
  if (!settings.ok || !secrets.success) return { ok: false, issues }
  // Each tenant secret's JSON is read once for both indexes (its fields are parsed on first use).
  const raw = rawTenantSecrets(env)
  const clients = indexOAuthClients(raw, secrets.data.SCG_WEBHOOK_AUTH)
  const numbers = indexGenesysNumbers(raw)
  if (!clients.ok || !numbers.ok)
    return {
      ok: false,
      issues: [...(clients.ok ? [] : clients.issues), ...(numbers.ok ? [] : numbers.issues)],
    }

  const tenants = new Map<string, TenantConfig | undefined>()
  const config: Config = {
    settings: settings.settings,
    secrets: {
      scgWebhookAuth: secrets.data.SCG_WEBHOOK_AUTH,
      tokenSigningKey: secrets.data.TOKEN_SIGNING_KEY,
      awsAccessKeyId: secrets.data.AWS_ACCESS_KEY_ID,
      awsSecretAccessKey: secrets.data.AWS_SECRET_ACCESS_KEY,
    },
    tenant(tenantId) {
      if (!TENANT_ID_PATTERN.test(tenantId)) return undefined
      if (tenants.has(tenantId)) return tenants.get(tenantId)
      const raw = env[tenantSecretName(tenantId)]
      if (raw === undefined || raw === null || raw === '') {
        tenants.set(tenantId, undefined)
        return undefined
      }
      const parsed = parseTenant(tenantId, raw, settingInput)
      if (!parsed.ok) {
        throw new AppError(
          'CONFIG_INVALID',
          'Tenant configuration is invalid; the operator log names the keys.',
          {
            cause: new Error(parsed.issues.join('; ')),
          },
        )
      }
      tenants.set(tenantId, parsed.tenant)
      return parsed.tenant
    },
    tenantIds() {
      const prefix = tenantSecretName('')
      return Object.keys(env)
        .filter((k) => k.startsWith(prefix) && TENANT_ID_PATTERN.test(k.slice(prefix.length)))
        .map((k) => k.slice(prefix.length))
    },
    oauthClientOwner: (clientId) => clients.owners.get(clientId),
    genesysNumberOwner: (number) => numbers.owners.get(number),
  }
  return { ok: true, config }
}
