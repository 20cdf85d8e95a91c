import type { Settings } from '../config/settings'

/**
 * Whether `host` is one of `bulk_source_hosts` or below one: `amazonaws.com` admits
 * `bucket.s3.us-east-1.amazonaws.com` but not `evilamazonaws.com`. An empty list admits any host.
 */
export function hostAllowed(host: string, suffixes: readonly string[]): boolean {
  if (suffixes.length === 0) return true
  const h = host.toLowerCase().replace(/\.$/, '')
  return suffixes.some((raw) => {
    const s = raw.toLowerCase().replace(/^\.+|\.$/g, '')
    return s !== '' && (h === s || h.endsWith(`.${s}`))
  })
}

/** Why `url` may not be fetched as a source (scheme and host), or undefined when it may. */
export function sourceProblem(url: URL, settings: Settings): string | undefined {
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && settings.bulk_allow_http_sources)) {
    return settings.bulk_allow_http_sources ? 'must be an http(s) URL' : 'must be an https URL'
  }
  if (!hostAllowed(url.hostname, settings.bulk_source_hosts)) {
    return 'must point at a host listed in bulk_source_hosts'
  }
  return undefined
}
