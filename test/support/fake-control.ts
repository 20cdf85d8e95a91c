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
