import * as z from 'zod/mini'
import {
  boolish,
  intRange,
  jsonish,
  optionalJson,
  optionalText,
  optionalUrl,
  preprocess,
  stringList,
  stringMap,
  text,
} from './coerce'
import { DEFAULT_MPS, DefaultMpsSchema, SendersSchema } from './pacing'
import { QuietHoursSchema } from './quiet-hours'
import { RoutesSchema } from './routes'

export const DEFAULT_CHANNEL_PREFIXES: Record<string, string> = {
  WHATSAPP: '',
  WECHAT: 'we:@',
  FACEBOOK: 'fb:@',
}

/** Whole-body opt-out and opt-in words (docs/compliance.md, "Keywords: STOP and START"). */
export const DEFAULT_OPT_OUT_KEYWORDS = [
  'STOP',
  'STOPALL',
  'UNSUBSCRIBE',
  'CANCEL',
  'END',
  'QUIT',
  'REVOKE',
  'OPTOUT',
  'OPT OUT',
]
export const DEFAULT_OPT_IN_KEYWORDS = ['START', 'UNSTOP', 'YES']

/**
 * Non-secret settings, named as in the Lambda connectors. Given globally as `[vars]` and
 * overridable per tenant inside its `TENANT_<id>` secret.
 */
export const SettingsSchema = z.object({
  event_ttl: z._default(intRange(0), 3600),
  cache_ttl: z._default(intRange(0), 604800),
  identity_field: z._default(
    preprocess((v) => (typeof v === 'string' ? v.trim() : v), text),
    '',
  ),
  tenant_id: optionalText,
  scg_default_sender: optionalText,
  scg_demo_senders: z._default(jsonish(stringMap), {}),
  scg_channel_prefixes: z._default(jsonish(stringMap), DEFAULT_CHANNEL_PREFIXES),
  scg_channel_senders: z._default(jsonish(stringMap), {}),
  scg_mo_event: optionalText,
  scg_mo_body_uppercase: z._default(boolish, false),
  default_sender: optionalText,
  twilio_messaging_service_sid: optionalText,
  twilio_mo_event: optionalText,
  twilio_mo_body_uppercase: z._default(boolish, false),
  ci360_include_status_details: z._default(boolish, false),
  ci360_event_id_attribute: z._default(text, 'connector_event_id'),
  ci360_contact_preferences: z._default(boolish, false),
  contact_preference_minutes: z._default(intRange(1, 1440), 15),
  opt_out_scope: z._default(z.enum(['tenant', 'sender']), 'tenant'),
  opt_out_keywords: z._default(stringList, DEFAULT_OPT_OUT_KEYWORDS),
  opt_in_keywords: z._default(stringList, DEFAULT_OPT_IN_KEYWORDS),
  opt_out_event: optionalText,
  opt_in_event: optionalText,
  suppressed_event: optionalText,
  s3_bucket_name: optionalText,
  s3_region: z._default(optionalText, 'us-east-1'),
  s3_endpoint: optionalUrl,
  s3_key_prefix: z._default(text, ''),
  s3_part_size_mb: z._default(intRange(5, 5120), 8),
  s3_presign_ttl: z._default(intRange(0, 604800), 0),
  bulk_allow_http_sources: z._default(boolish, false),
  bulk_source_hosts: z._default(stringList, []),
  bulk_mode: z._default(z.enum(['async', 'sync']), 'async'),
  bulk_completed_event: optionalText,
  bulk_failed_event: optionalText,
  public_base_url: optionalUrl,
  provider_timeout_ms: z._default(intRange(100, 120000), 10000),
  retry_max_attempts: z._default(intRange(1, 100), 8),
  retention_days: z._default(intRange(1), 30),
  log_level: z._default(z.enum(['debug', 'info', 'warn', 'error', 'silent']), 'info'),
  /** docs/compliance.md, "Quiet hours"; JSON text or an object, unset means no quiet hours. */
  quiet_hours: optionalJson(QuietHoursSchema),
  /** docs/pacing.md: `sync` answers after the provider; `queued` answers 202 and sends at each sender's pace. */
  send_mode: z._default(z.enum(['sync', 'queued']), 'sync'),
  senders: z._default(jsonish(SendersSchema), {}),
  default_mps: z._default(jsonish(DefaultMpsSchema), DEFAULT_MPS),
  sent_event: optionalText,
  send_failed_event: optionalText,
  /** docs/guarantees.md, "Failover": per channel, the ordered provider routes; unset: no failover. */
  routes: optionalJson(RoutesSchema),
  failover_open_after: z._default(intRange(1, 1000), 5),
  failover_probe_seconds: z._default(intRange(1, 86_400), 60),
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
    if (
      (k.startsWith(SCG_RESPONSE_EVENT_PREFIX) || k.startsWith(TWILIO_RESPONSE_EVENT_PREFIX)) &&
      typeof v !== 'string'
    ) {
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
export function formatIssues(error: { issues: readonly z.core.$ZodIssue[] }, where: string): string[] {
  return error.issues.map((i) => {
    const path = i.path.map(String).join('.')
    return `${where}${path}: ${i.message}`
  })
}
