import { E164 } from '../lib/e164'
import type { FetchFn } from '../lib/http'
import { err, ok, type Result } from '../lib/result'
import { callUpstream, type ErrorReading, type UpstreamReply, type UpstreamRequest } from '../upstream/call'
import { UpstreamError } from '../upstream/error'
import type { Ci360Config } from './client'
import { isRetryableCi360Reply } from './rate-limit'

/** The import job of SMS contact preferences (docs/compliance.md, "CI360 contact preferences"). */
export const CONTACT_PREFERENCE_SMS_IMPORT = 'CONTACT_PREFERENCE_SMS_IMPORT'

/** The header row of SAS's contact-preference CSV. */
export const CONTACT_PREFERENCE_HEADER = 'identity_type,identity_value,preference_type,preference_value'

/** One number's SMS preference: `optOut` true = opted out, false = opted back in. */
export interface SmsPreference {
  address: string
  optOut: boolean
}

const EVENTS_PATH = /\/marketingGateway\/events\/?$/

/**
 * The gateway base `{gw}` of the marketingData API, from the tenant's `ci360_api_url` (the full
 * `…/marketingGateway/events` URL, docs/compliance.md "CI360 contact preferences"): that URL without `/marketingGateway/events`. Undefined when
 * the URL does not end that way (then the base cannot be known).
 */
export function gatewayOf(eventsUrl: string): string | undefined {
  let url: URL
  try {
    url = new URL(eventsUrl)
  } catch {
    return undefined
  }
  if (!EVENTS_PATH.test(url.pathname) || url.search !== '') return undefined
  return `${url.origin}${url.pathname.replace(EVENTS_PATH, '')}`
}

/**
 * SAS's CSV: the header, then `sms_id,+E164,OPT-OUT,true|false` per number, `\n` line ends (as SAS's
 * example file). Numbers that are not E.164 are left out (they cannot be an `sms_id`).
 */
export function contactPreferenceCsv(prefs: readonly SmsPreference[]): string {
  const lines = [CONTACT_PREFERENCE_HEADER]
  for (const p of prefs) if (E164.test(p.address)) lines.push(`sms_id,${p.address},OPT-OUT,${p.optOut}`)
  return `${lines.join('\n')}\n`
}

export const isSmsId = (address: string): boolean => E164.test(address)

/** A non-empty string (or number) field of a JSON object reply; undefined when the reply has none. */
function fieldOf(text: string, name: string): string | undefined {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return undefined
  }
  if (typeof value !== 'object' || value === null) return undefined
  const field = (value as Record<string, unknown>)[name]
  if (typeof field === 'number') return String(field)
  return typeof field === 'string' && field !== '' ? field : undefined
}

function isHttpUrl(url: string | undefined): url is string {
  if (url === undefined) return false
  try {
    return /^https?:$/.test(new URL(url).protocol)
  } catch {
    return false
  }
}

export interface ContactPreferenceClient {
  /**
   * Upload one CSV and start its `CONTACT_PREFERENCE_SMS_IMPORT` job: file transfer location, PUT of
   * the file to the signed URL, table job. Answers CI360's job id, or the first call that failed.
   */
  importSms(csv: string): Promise<Result<{ jobId: string }, UpstreamError>>
}

const ci360Reading = ({ status, text, headers }: { status: number; text: string; headers: Headers }) => ({
  description: text.replace(/\s+/g, ' '),
  retryable: isRetryableCi360Reply(status, headers, text),
})

/** The signed URL's store answers in its own words; only the status is kept (its body may echo the URL). */
const storageReading = (): ErrorReading => ({ description: 'file upload refused' })

export function createContactPreferenceClient(
  config: Ci360Config,
  gateway: string,
  deps: { fetch: FetchFn; now: () => number },
): ContactPreferenceClient {
  const call = (url: string, init: RequestInit, readError: UpstreamRequest['readError'] = ci360Reading) =>
    callUpstream(deps, {
      upstream: 'ci360',
      url,
      init,
      timeoutMs: config.timeoutMs,
      bodyLimit: 4096,
      readError,
    })
  const missing = (reply: UpstreamReply, what: string) =>
    err(
      new UpstreamError({
        upstream: 'ci360',
        kind: 'bad_response',
        status: reply.status,
        retryable: true,
        message: `CI360 answered ${reply.status} without ${what}`,
      }),
    )
  return {
    async importSms(csv) {
      const authorization = `Bearer ${await config.token()}`
      const location = await call(`${gateway}/marketingData/fileTransferLocation`, {
        method: 'POST',
        headers: { authorization, accept: 'application/json' },
      })
      if (!location.ok) return location
      const signedURL = fieldOf(location.value.text, 'signedURL')
      if (!isHttpUrl(signedURL)) return missing(location.value, 'a signedURL')
      const put = await call(
        signedURL,
        { method: 'PUT', headers: { 'content-type': 'text/csv' }, body: csv },
        storageReading,
      )
      if (!put.ok) return put
      const job = await call(`${gateway}/marketingData/tableJobs/`, {
        method: 'POST',
        headers: { authorization, 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({
          jobType: CONTACT_PREFERENCE_SMS_IMPORT,
          fileLocation: signedURL,
          headerRowIncluded: true,
        }),
      })
      if (!job.ok) return job
      const jobId = fieldOf(job.value.text, 'id')
      return jobId === undefined ? missing(job.value, 'a job id') : ok({ jobId })
    },
  }
}
