import { describe, expect, it } from 'vitest'
import { parseSettings, type Settings } from '../config/settings'
import { CopyFailure } from '../s3/copy-failure'
import { hostAllowed, sourceProblem } from './source-hosts'
import { guardedSourceFetch, REDIRECT_REFUSED } from './source-policy'

function settings(input: Record<string, unknown>): Settings {
  const parsed = parseSettings(input, '')
  if (!parsed.ok) throw new Error(parsed.issues.join('; '))
  return parsed.settings
}

/** A fetch that answers from a script and records the URLs asked. */
function scripted(answers: Record<string, Response>) {
  const asked: string[] = []
  const fetchFn = (async (input: RequestInfo | URL) => {
    const url = String(input)
    asked.push(url)
    return answers[url] ?? new Response('missing', { status: 404 })
  }) as typeof fetch
  return { asked, fetchFn }
}

const redirect = (location: string) => new Response(null, { status: 302, headers: { location } })

describe('bulk_source_hosts', () => {
  const allowed = (url: string, list: string[]) => hostAllowed(new URL(url), list)

  it('matches whole host labels, case-insensitively; empty admits any host', () => {
    const list = ['amazonaws.com', '.ci360.example.com']
    expect(allowed('https://bucket.s3.us-east-1.amazonaws.com/x', list)).toBe(true)
    expect(allowed('https://AMAZONAWS.COM/x', list)).toBe(true)
    expect(allowed('https://x.ci360.example.com/x', list)).toBe(true)
    expect(allowed('https://evilamazonaws.com/x', list)).toBe(false)
    expect(allowed('https://amazonaws.com.evil.net/x', list)).toBe(false)
    expect(allowed('https://127.0.0.1/x', list)).toBe(false)
    expect(allowed('https://anything.example:8443/x', [])).toBe(true)
  })

  it('matches ports: an entry without one admits the scheme default (443 https, 80 http) only', () => {
    const list = ['amazonaws.com', '127.0.0.1:9000', '[::1]:9443']
    expect(allowed('https://b.s3.amazonaws.com/x', list)).toBe(true)
    expect(allowed('https://b.s3.amazonaws.com:443/x', list)).toBe(true)
    expect(allowed('https://b.s3.amazonaws.com:8443/x', list)).toBe(false)
    expect(allowed('http://b.s3.amazonaws.com/x', list)).toBe(true)
    expect(allowed('http://b.s3.amazonaws.com:443/x', list)).toBe(false)
    expect(allowed('http://127.0.0.1:9000/x', list)).toBe(true)
    expect(allowed('http://127.0.0.1/x', list)).toBe(false)
    expect(allowed('http://127.0.0.1:9001/x', list)).toBe(false)
    expect(allowed('https://[::1]:9443/x', list)).toBe(true)
    expect(allowed('https://[::1]/x', list)).toBe(false)
    expect(allowed('https://a.example:8443/x', ['A.example:08443'])).toBe(true)
  })

  it('refuses http unless allowed, and hosts outside the list', () => {
    const s = settings({ bulk_source_hosts: 'amazonaws.com' })
    expect(sourceProblem(new URL('https://b.s3.amazonaws.com/x'), s)).toBeUndefined()
    expect(sourceProblem(new URL('http://b.s3.amazonaws.com/x'), s)).toBe('must be an https URL')
    expect(sourceProblem(new URL('https://[::1]/x'), s)).toBe(
      'must point at a host listed in bulk_source_hosts',
    )
  })
})

describe('guardedSourceFetch', () => {
  it('refuses a redirect from https to http even when http sources are allowed; the target is never asked', async () => {
    const s = settings({ bulk_allow_http_sources: true })
    const { asked, fetchFn } = scripted({ 'https://a.example/f': redirect('http://a.example/f') })

    const failure = await guardedSourceFetch(fetchFn, s)('https://a.example/f').catch((e: unknown) => e)

    expect(failure).toBeInstanceOf(CopyFailure)
    expect(failure).toMatchObject({
      code: REDIRECT_REFUSED,
      retryable: false,
      message: 'redirected from https to a plain http URL',
    })
    expect(asked).toEqual(['https://a.example/f'])
  })

  it('says what a refused redirect target is, in plain words', async () => {
    const s = settings({ bulk_allow_http_sources: true, bulk_source_hosts: 'a.example' })
    const to = async (location: string) => {
      const { fetchFn } = scripted({ 'http://a.example/f': redirect(location) })
      return guardedSourceFetch(fetchFn, s)('http://a.example/f').catch((e: { message: string }) => e.message)
    }
    expect(await to('ftp://a.example/f')).toBe('redirected to a URL that is not an http(s) URL')
    expect(await to('http://a.example:8080/f')).toBe(
      'redirected to a URL that does not point at a host listed in bulk_source_hosts',
    )
  })

  it('follows redirects within the list (relative ones too), at most five', async () => {
    const s = settings({ bulk_source_hosts: 'a.example' })
    const { asked, fetchFn } = scripted({
      'https://a.example/1': redirect('/2'),
      'https://a.example/2': redirect('https://cdn.a.example/3'),
      'https://cdn.a.example/3': new Response('data', { status: 200 }),
    })
    const res = await guardedSourceFetch(fetchFn, s)('https://a.example/1')
    expect(await res.text()).toBe('data')
    expect(asked).toEqual(['https://a.example/1', 'https://a.example/2', 'https://cdn.a.example/3'])

    const loop = scripted({ 'https://a.example/l': redirect('https://a.example/l') })
    await expect(guardedSourceFetch(loop.fetchFn, s)('https://a.example/l')).rejects.toMatchObject({
      code: REDIRECT_REFUSED,
      message: 'more than 5 redirects',
    })
    expect(loop.asked).toHaveLength(6)
  })
})
