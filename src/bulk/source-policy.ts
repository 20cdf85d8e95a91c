import type { Settings } from '../config/settings'
import type { FetchFn } from '../lib/http'
import { CopyFailure } from '../s3/copy-failure'
import { discard } from '../s3/source'
import { sourceProblem } from './source-hosts'

/** `CopyFailure.code` of a source redirect outside `bulk_source_hosts` (or from https to http). */
export const REDIRECT_REFUSED = 'REDIRECT_REFUSED'

/** Redirects followed per source request, as browsers cap them lower than fetch's 20. */
const MAX_REDIRECTS = 5
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308])

/**
 * `fetch` for presigned sources that follows redirects itself, so every target is checked before it
 * is asked for a byte: outside `bulk_source_hosts`, not https (unless http sources are allowed), or a
 * step down from https to http → `CopyFailure` with code `REDIRECT_REFUSED` (never retried).
 */
export function guardedSourceFetch(fetchFn: FetchFn, settings: Settings): FetchFn {
  return async (input, init) => {
    let url = new URL(input instanceof Request ? input.url : String(input))
    for (let hop = 0; ; hop++) {
      const res = await fetchFn(url.toString(), { ...init, redirect: 'manual' })
      const location = res.headers.get('location')
      if (!REDIRECT_STATUSES.has(res.status) || location === null) return res
      await discard(res)
      if (hop >= MAX_REDIRECTS) throw refused(`more than ${MAX_REDIRECTS} redirects`)
      let next: URL
      try {
        next = new URL(location, url)
      } catch {
        throw refused('redirected to an invalid URL')
      }
      if (url.protocol === 'https:' && next.protocol !== 'https:') {
        throw refused('redirected from https to a plain http URL')
      }
      const problem = sourceProblem(next, settings)
      if (problem) throw refused(`redirected to a URL that ${asFound(problem)}`)
      url = next
    }
  }
}

/** A source rule (`must be …`, `must point …`) as what the redirect target was found to be. */
const asFound = (problem: string) => problem.replace(/^must be/, 'is not').replace(/^must/, 'does not')

const refused = (message: string) =>
  new CopyFailure('source', message, { retryable: false, code: REDIRECT_REFUSED })
