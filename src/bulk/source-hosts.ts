import type { Settings } from '../config/settings'

/** The default port of a source URL's scheme: 80 for http, 443 for https. */
const defaultPort = (url: URL): string => (url.protocol === 'http:' ? '80' : '443')

/**
 * One `bulk_source_hosts` entry, `host[:port]` (an IPv6 host in brackets); without a port it admits only
 * the scheme's default port, so a source on another port of a listed host is refused.
 */
function parseEntry(raw: string): { suffix: string; port: string | undefined } {
  const m = /^(.*?)(?::(\d{1,5}))?$/.exec(raw.trim().toLowerCase())
  return { suffix: (m?.[1] ?? '').replace(/^\.+|\.$/g, ''), port: m?.[2] }
}

/**
 * Whether `url`'s host is one of `bulk_source_hosts` or below one, on the entry's port:
 * `amazonaws.com` admits `https://bucket.s3.us-east-1.amazonaws.com` (port 443) but not
 * `evilamazonaws.com` nor `https://bucket.s3.amazonaws.com:8443`; `127.0.0.1:9000` admits only port 9000.
 * An empty list admits any host and port.
 */
export function hostAllowed(url: URL, entries: readonly string[]): boolean {
  if (entries.length === 0) return true
  const h = url.hostname.toLowerCase().replace(/\.$/, '')
  // `URL` drops a port equal to the scheme's default, so an empty port is the default one.
  const port = url.port || defaultPort(url)
  return entries.some((raw) => {
    const { suffix, port: listed } = parseEntry(raw)
    if (suffix === '' || (h !== suffix && !h.endsWith(`.${suffix}`))) return false
    return (listed === undefined ? defaultPort(url) : String(Number(listed))) === port
  })
}

/** Why `url` may not be fetched as a source (scheme, host and port), or undefined when it may. */
export function sourceProblem(url: URL, settings: Settings): string | undefined {
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && settings.bulk_allow_http_sources)) {
    return settings.bulk_allow_http_sources ? 'must be an http(s) URL' : 'must be an https URL'
  }
  if (!hostAllowed(url, settings.bulk_source_hosts)) {
    return 'must point at a host listed in bulk_source_hosts'
  }
  return undefined
}
