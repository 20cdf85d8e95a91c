/**
 * CI360's gateway limits each source IP to 700,000 requests per 5 minutes and answers 403 past that
 * (SAS's connector guideline). The wording of that 403 is not published, and a 403 also means "not
 * allowed" (a disabled tenant, a blocked path), which no retry fixes. So a 403 counts as the rate limit
 * only when it says so in any of the ways a gateway, a WAF or a CDN in front of it words it: in the
 * body ("rate limit", "Rate exceeded", "Too Many Requests", "throttled", "quota", "limit exceeded",
 * "requests per …", CloudFront's "too much traffic"), or in the headers (`Retry-After`, a
 * `*RateLimit-Remaining: 0`, an `x-amzn-ErrorType` naming throttling). A bare "Forbidden" is permanent.
 */
const BODY =
  /rate[\s_-]?limit|rate exceeded|too many requests|throttl|limit exceeded|quota|requests? per|too much traffic/i

const REMAINING_HEADERS = ['x-ratelimit-remaining', 'ratelimit-remaining', 'x-rate-limit-remaining']

function headersSaySo(headers: Headers): boolean {
  if (headers.has('retry-after')) return true
  if (REMAINING_HEADERS.some((h) => headers.get(h)?.trim() === '0')) return true
  if (/(?:^|[;,\s])remaining=0\b/i.test(headers.get('ratelimit') ?? '')) return true
  return /throttl|toomanyrequests/i.test(headers.get('x-amzn-errortype') ?? '')
}

/** Whether a 403 from the CI360 gateway is its per-IP rate limit (retry later) rather than a refusal. */
export const isCi360RateLimit = (status: number, headers: Headers, body: string): boolean =>
  status === 403 && (BODY.test(body) || headersSaySo(headers))

/**
 * Whether a failed injection is worth retrying: 408, 429, 5xx, and a 403 that is the gateway's rate
 * limit. 400, 401 and any other 4xx (another 403 included) are permanent.
 */
export const isRetryableCi360Reply = (status: number, headers: Headers, body: string): boolean =>
  status === 408 || status === 429 || status >= 500 || isCi360RateLimit(status, headers, body)
