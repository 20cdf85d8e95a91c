import type { Settings } from './settings'

/** This Worker's public origin: `public_base_url` when set (behind a proxy or custom domain), else the request's. */
export function publicOrigin(settings: Settings, requestUrl: string): string {
  if (settings.public_base_url) return settings.public_base_url.replace(/\/+$/, '')
  return new URL(requestUrl).origin
}
