import type { SenderStats as FakeSenderStats } from '../fakes/rates'
import { fakes } from './worker'

/** Mirrors `Behaviour` in test/fakes/scripted.ts (Node side). */
export interface Behaviour {
  status?: number
  body?: unknown
  headers?: Record<string, string>
  delayMs?: number
  hang?: boolean
  hangMs?: number
  drop?: boolean
  acceptLateMs?: number
}

export interface Recorded {
  at: number
  method: string
  path: string
  headers: Record<string, string>
  body: any
  raw: string
}

/** Mirrors `UploadedFile` in test/fakes/ci360-marketing-data.ts: a CSV PUT on a signed URL. */
export interface UploadedFile {
  path: string
  content_type: string
  csv: string
}

/** Mirrors `TableJob` in test/fakes/ci360-marketing-data.ts: a table job and the CSV it points at. */
export interface TableJob {
  id: string
  client_id: string
  jobType: unknown
  fileLocation: unknown
  headerRowIncluded: unknown
  csv: string | null
}

type FakeName = 'scg' | 'ci360' | 'twilio' | 's3' | 'source' | 'genesys'

/** Drive a fake provider's control routes from a test. */
export function control(name: FakeName) {
  const base = () => fakes()[name]
  return {
    async script(key: string, responses: Behaviour[] = [], mode?: Behaviour | null) {
      const res = await fetch(`${base()}/__control/script`, {
        method: 'POST',
        body: JSON.stringify(mode === undefined ? { key, responses } : { key, responses, mode }),
      })
      if (!res.ok) throw new Error(`fake ${name} script failed: ${res.status}`)
    },
    async reset(key: string) {
      await fetch(`${base()}/__control/reset`, { method: 'POST', body: JSON.stringify({ key }) })
    },
    async requests(key: string): Promise<Recorded[]> {
      const res = await fetch(`${base()}/__control/requests?key=${encodeURIComponent(key)}`)
      return (await res.json()) as Recorded[]
    },
  }
}

export const scgFake = control('scg')
export const ci360Fake = {
  ...control('ci360'),
  /** Past `max` requests in `windowMs`, the fake gateway answers 403 (its per-IP rate limit). */
  async rateLimit(
    key: string,
    max: number | null,
    opts: { windowMs?: number; body?: unknown; headers?: Record<string, string> } = {},
  ) {
    const res = await fetch(`${fakes().ci360}/__control/rate-limit`, {
      method: 'POST',
      body: JSON.stringify({ key, max, window_ms: opts.windowMs, body: opts.body, headers: opts.headers }),
    })
    if (!res.ok) throw new Error(`fake ci360 rate-limit failed: ${res.status}`)
  },
  /** The CSVs PUT on the fake's signed URLs and the table jobs started under `key` (oldest first). */
  async contactPreferences(key: string): Promise<{ files: UploadedFile[]; jobs: TableJob[] }> {
    const res = await fetch(`${fakes().ci360}/__control/contact-preferences?key=${encodeURIComponent(key)}`)
    return (await res.json()) as { files: UploadedFile[]; jobs: TableJob[] }
  },
}
export const twilioFake = control('twilio')
export const genesysFake = control('genesys')

/** Mirrors `SenderRate` in test/fakes/scg-rate.ts: segments per second and bucket size (default mps). */
export interface ScgSenderRate {
  mps: number
  burst?: number
}

/** Mirrors `ReceiptTarget` in test/fakes/scg-rate.ts. */
export interface ScgReceiptTarget {
  url?: string
  username?: string
  password?: string
  delivered?: boolean
}

/** Per-sender counts of the rate fakes, plus each fake's own counters (rates.ts has no Node imports). */
export type { SenderStats as FakeSenderStats } from '../fakes/rates'

export interface ScgRateStats {
  /** Every send answered 200, over the rate or not. */
  accepted: number
  overRate: number
  receiptPostFailures: number
  bySender: Record<string, FakeSenderStats & { overRate: number }>
}

/**
 * Limit the fake SCG's senders under `token` (keyed by the body's `from`); `null` lifts every limit.
 * Sends over a limit still get 200, then a FAILED receipt with reason 1039.
 */
export async function setScgRate(
  token: string,
  senders: Record<string, ScgSenderRate> | null,
  receipts?: ScgReceiptTarget | null,
): Promise<void> {
  const res = await fetch(`${fakes().scg}/__control/rate`, {
    method: 'POST',
    body: JSON.stringify({ key: token, senders, receipts: receipts ?? null }),
  })
  if (!res.ok) throw new Error(`fake scg rate failed: ${res.status} ${await res.text()}`)
}

/** The Event Manager receipts the fake SCG built under `token`, oldest first. */
export async function scgReceipts(token: string): Promise<any[]> {
  const res = await fetch(`${fakes().scg}/__control/receipts?key=${encodeURIComponent(token)}`)
  return (await res.json()) as any[]
}

export async function clearScgReceipts(token: string): Promise<void> {
  await fetch(`${fakes().scg}/__control/receipts/clear`, {
    method: 'POST',
    body: JSON.stringify({ key: token }),
  })
}

export async function scgStats(token: string): Promise<ScgRateStats> {
  const res = await fetch(`${fakes().scg}/__control/stats?key=${encodeURIComponent(token)}`)
  return (await res.json()) as ScgRateStats
}

/** Mirrors `TwilioRateConfig` in test/fakes/twilio-rate.ts. */
export interface TwilioRateConfig {
  concurrency?: number
  processMs?: number
  senders?: Record<string, { mps: number; queueSeconds?: number }>
}

export interface TwilioRateStats {
  /** Every create answered 201 (including those that fail later with 30001). */
  accepted: number
  rejected20429: number
  rejected21611: number
  queueOverflow30001: number
  maxConcurrent: number
  bySender: Record<string, FakeSenderStats & { rejected21611: number; queueOverflow30001: number }>
}

/** Set the fake Twilio's limits for `accountSid`; an empty `cfg` lifts them. */
export async function setTwilioRate(accountSid: string, cfg: TwilioRateConfig): Promise<void> {
  const res = await fetch(`${fakes().twilio}/__control/rate`, {
    method: 'POST',
    body: JSON.stringify({ key: accountSid, ...cfg }),
  })
  if (!res.ok) throw new Error(`fake twilio rate failed: ${res.status} ${await res.text()}`)
}

export async function twilioStats(accountSid: string): Promise<TwilioRateStats> {
  const res = await fetch(`${fakes().twilio}/__control/stats?key=${encodeURIComponent(accountSid)}`)
  return (await res.json()) as TwilioRateStats
}
