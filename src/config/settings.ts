import { z } from 'zod'
import { boolish, intish, jsonish, optionalText, stringMap, text } from './coerce'

export const DEFAULT_CHANNEL_PREFIXES: Record<string, string> = { WHATSAPP: '', WECHAT: 'we:@', FACEBOOK: 'fb:@' }

/**
 * Non-secret settings, named as in the Lambda connectors (DESIGN §3). Given globally as `[vars]` and
 * overridable per tenant inside its `TENANT_<id>` secret.
 */
export const SettingsSchema = z.object({
  event_ttl: intish.pipe(z.number().min(0)).default(3600),
  cache_ttl: intish.pipe(z.number().min(0)).default(604800),
  identity_field: z.preprocess((v) => (typeof v === 'string' ? v.trim() : v), text).default(''),
  tenant_id: optionalText,
  scg_default_sender: optionalText,
  scg_demo_senders: jsonish(stringMap).default({}),
  scg_channel_prefixes: jsonish(stringMap).default(DEFAULT_CHANNEL_PREFIXES),
  scg_channel_senders: jsonish(stringMap).default({}),
  scg_mo_event: optionalText,
  scg_mo_body_uppercase: boolish.default(false),
  default_sender: optionalText,
  twilio_messaging_service_sid: optionalText,
  twilio_mo_event: optionalText,
  twilio_mo_body_uppercase: boolish.default(false),
  ci360_include_status_details: boolish.default(false),
  s3_bucket_name: optionalText,
  s3_region: optionalText.default('us-east-1'),
  s3_endpoint: optionalText.pipe(z.url({ error: 'must be a URL' }).optional()),
  s3_key_prefix: text.default(''),
  s3_part_size_mb: intish.pipe(z.number().min(5, { error: 'must be at least 5' }).max(5120)).default(8),
  s3_presign_ttl: intish.pipe(z.number().min(0).max(604800)).default(0),
  bulk_allow_http_sources: boolish.default(false),
  public_base_url: optionalText.pipe(z.url({ error: 'must be a URL' }).optional()),
  provider_timeout_ms: intish.pipe(z.number().min(100).max(120000)).default(10000),
  retry_max_attempts: intish.pipe(z.number().min(1).max(100)).default(8),
  retention_days: intish.pipe(z.number().min(1)).default(30),
  log_level: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
})

export type BaseSettings = z.infer<typeof SettingsSchema>

/** Settings plus the open-ended event-name families `scg_response_event_<STATE>` / `twilio_response_event_<status>`. */
export interface Settings extends BaseSettings {
  /** `new_state` (as SCG sends it) → CI360 event name. */
  scg_response_events: Record<string, string>
  /** Twilio `MessageStatus` → CI360 event name. */
  twilio_response_events: Record<string, string>
}

export const SETTING_KEYS = Object.keys(SettingsSchema.shape) as (keyof BaseSettings)[]
export const SCG_RESPONSE_EVENT_PREFIX = 'scg_response_event_'
export const TWILIO_RESPONSE_EVENT_PREFIX = 'twilio_response_event_'

/** Pick the setting keys (and event-name families) out of a bag of vars/secret fields. */
export function pickSettingInput(source: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(source)) {
    if (
      (SETTING_KEYS as string[]).includes(k) ||
      k.startsWith(SCG_RESPONSE_EVENT_PREFIX) ||
      k.startsWith(TWILIO_RESPONSE_EVENT_PREFIX)
    ) {
      out[k] = v
    }
  }
  return out
}

function eventFamily(input: Record<string, unknown>, prefix: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(input)) {
    if (!k.startsWith(prefix)) continue
    const name = typeof v === 'string' ? v.trim() : ''
    if (name !== '') out[k.slice(prefix.length)] = name
  }
  return out
}

export type SettingsParse = { ok: true; settings: Settings } | { ok: false; issues: string[] }

/** Parse settings; issues name the key (prefixed with `where`) and never echo the value. */
export function parseSettings(input: Record<string, unknown>, where: string): SettingsParse {
  const parsed = SettingsSchema.safeParse(input)
  if (!parsed.success) return { ok: false, issues: formatIssues(parsed.error, where) }
  for (const k of Object.keys(input)) {
    const v = input[k]
    if ((k.startsWith(SCG_RESPONSE_EVENT_PREFIX) || k.startsWith(TWILIO_RESPONSE_EVENT_PREFIX)) && typeof v !== 'string') {
      return { ok: false, issues: [`${where}${k}: must be a string`] }
    }
  }
  return {
    ok: true,
    settings: {
      ...parsed.data,
      scg_response_events: eventFamily(input, SCG_RESPONSE_EVENT_PREFIX),
      twilio_response_events: eventFamily(input, TWILIO_RESPONSE_EVENT_PREFIX),
    },
  }
}

/** zod issues → `where.path: message` lines. zod's messages here describe types, never the input value. */
export function formatIssues(error: z.ZodError, where: string): string[] {
  return error.issues.map((i) => {
    const path = i.path.map(String).join('.')
    return `${where}${path}: ${i.message}`
  })
}
