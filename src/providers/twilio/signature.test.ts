import { parse, stringify } from 'node:querystring'
import fc from 'fast-check'
import {
  getExpectedTwilioSignature,
  validateRequest,
  validateRequestWithBody,
} from 'twilio/lib/webhooks/webhooks'
import { describe, expect, it } from 'vitest'
import { sha256Hex } from '../../lib/crypto'
import {
  type TwilioParams,
  twilioSignature,
  urlSpellings,
  verifyTwilioBodySignature,
  verifyTwilioSignature,
} from './signature'

// Test vectors of docs/protocols.md, "Twilio".
const TOKEN = 'test_auth_token_123'
const URL_1 = 'https://connector.example.workers.dev/twilio/status?tenant=t1'
const PARAMS_1 = {
  MessageSid: 'SM00000000000000000000000000000001',
  MessageStatus: 'delivered',
  AccountSid: 'AC00000000000000000000000000000001',
  From: '+15005550006',
  To: '+15005550009',
  ApiVersion: '2010-04-01',
  SmsSid: 'SM00000000000000000000000000000001',
  SmsStatus: 'delivered',
}
const SIG_1 = 'guRO1gDUiDBK6wEU2B9DC14gGzI='
const JSON_BODY = '{"MessageSid":"SM1","MessageStatus":"read"}'
const BODY_HASH = 'de1b0425eeccc1b08b04e5a09f5aa80a8bd5fbb1871ce575f834abf23a48da5b'
const JSON_URL = `https://connector.example.workers.dev/twilio/json?bodySHA256=${BODY_HASH}`
const JSON_SIG = 'dSOy4aTJlm4XRueDk1xqtqaI1fI='

describe('Twilio signature: reference vectors', () => {
  it('computes and accepts the form vector', async () => {
    expect(await twilioSignature(TOKEN, URL_1, PARAMS_1)).toBe(SIG_1)
    expect(await verifyTwilioSignature(TOKEN, SIG_1, URL_1, PARAMS_1)).toBe(true)
  })

  it('accepts the URL with and without the explicit default port', async () => {
    const ported = 'https://connector.example.workers.dev:443/twilio/status?tenant=t1'
    expect(await verifyTwilioSignature(TOKEN, SIG_1, ported, PARAMS_1)).toBe(true)
    const signedWithPort = await twilioSignature(TOKEN, ported, PARAMS_1)
    expect(await verifyTwilioSignature(TOKEN, signedWithPort, URL_1, PARAMS_1)).toBe(true)
    expect(await verifyTwilioSignature(TOKEN, SIG_1, URL_1.replace('https:', 'http:'), PARAMS_1)).toBe(false)
  })

  it('computes and accepts the JSON-body (bodySHA256) vector', async () => {
    expect(await sha256Hex(JSON_BODY)).toBe(BODY_HASH)
    expect(await twilioSignature(TOKEN, JSON_URL, {})).toBe(JSON_SIG)
    expect(await verifyTwilioBodySignature(TOKEN, JSON_SIG, JSON_URL, JSON_BODY)).toBe(true)
  })

  it('rejects one changed parameter, one changed URL, a missing header and a wrong token', async () => {
    expect(await verifyTwilioSignature(TOKEN, SIG_1, URL_1, { ...PARAMS_1, MessageStatus: 'failed' })).toBe(
      false,
    )
    expect(await verifyTwilioSignature(TOKEN, SIG_1, URL_1, { ...PARAMS_1, Extra: '' })).toBe(false)
    expect(await verifyTwilioSignature(TOKEN, SIG_1, URL_1.replace('t1', 't2'), PARAMS_1)).toBe(false)
    expect(await verifyTwilioSignature(TOKEN, undefined, URL_1, PARAMS_1)).toBe(false)
    expect(await verifyTwilioSignature(TOKEN, '', URL_1, PARAMS_1)).toBe(false)
    expect(await verifyTwilioSignature('another_tenant_token', SIG_1, URL_1, PARAMS_1)).toBe(false)
  })

  it('rejects a JSON body that does not match bodySHA256, even with the right URL signature', async () => {
    expect(await verifyTwilioBodySignature(TOKEN, JSON_SIG, JSON_URL, `${JSON_BODY} `)).toBe(false)
    expect(
      await verifyTwilioBodySignature(TOKEN, JSON_SIG, JSON_URL.replace('json?', 'jsom?'), JSON_BODY),
    ).toBe(false)
    expect(await verifyTwilioBodySignature('wrong', JSON_SIG, JSON_URL, JSON_BODY)).toBe(false)
  })

  it('signs repeated parameters once per distinct value, sorted', async () => {
    const url = 'https://h.example/in'
    const params = { MediaUrl: ['https://b', 'https://a', 'https://b'], Body: 'x' }
    const expected = getExpectedTwilioSignature(TOKEN, url, params)
    expect(await twilioSignature(TOKEN, url, params)).toBe(expected)
  })
})

// --- Property: our verdict equals Twilio's own `validateRequest` (twilio npm package, the oracle). ---

const text = fc.string({ unit: 'grapheme-composite', maxLength: 12 })
const queryChars = fc.string({
  unit: fc.constantFrom(..."aZ09=&+%-._~!*'()/?: é€#".split(''), 'a b', '%41', '%zz', '%E2%82%AC', '%FF'),
  maxLength: 10,
})
const urlArb = fc
  .record({
    scheme: fc.constantFrom('https', 'http'),
    host: fc.domain(),
    port: fc.constantFrom('', ':443', ':80', ':8443'),
    path: fc.webPath(),
    query: fc.option(queryChars, { nil: undefined }),
  })
  .map(
    ({ scheme, host, port, path, query }) =>
      `${scheme}://${host}${port}${path}${query === undefined ? '' : `?${query}`}`,
  )
  .filter((u) => {
    try {
      new URL(u)
      return true
    } catch {
      return false
    }
  })
const paramsArb: fc.Arbitrary<TwilioParams> = fc.dictionary(
  fc.string({ minLength: 1, maxLength: 10 }),
  fc.oneof(text, fc.array(text, { maxLength: 3 })),
  { maxKeys: 6, noNullPrototype: true },
)

/** The URL spellings Twilio's helper accepts, to sign over (so accepted cases are generated too). */
function spellings(url: string): string[] {
  const normal = new URL(url).toString()
  const q = normal.indexOf('?')
  const legacy =
    q === -1 || q === normal.length - 1
      ? normal
      : `${normal.slice(0, q)}?${stringify(parse(normal.slice(q + 1)))}`
  return [url, url.replace(/^(https?:\/\/[^/:?#]+):\d+/, '$1'), normal, legacy]
}

describe('Twilio signature: property test against the twilio package', () => {
  it('our verdict equals validateRequest for random URLs, params, tokens and signatures', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ minLength: 1, maxLength: 40 }),
        urlArb,
        paramsArb,
        fc.nat(),
        fc.constantFrom('right', 'port', 'spelling', 'params', 'token', 'random'),
        fc.base64String({ minLength: 28, maxLength: 28 }),
        async (token, url, params, pick, how, random) => {
          const variants = spellings(url)
          const signedUrl = how === 'spelling' ? (variants[pick % variants.length] as string) : url
          const signedParams = how === 'params' ? { ...params, Tampered: 'yes' } : params
          const signingToken = how === 'token' ? `${token}x` : token
          let signature = getExpectedTwilioSignature(signingToken, signedUrl, signedParams)
          if (how === 'port') signature = getExpectedTwilioSignature(token, variants[1] as string, params)
          if (how === 'random') signature = random
          const theirs = validateRequest(token, signature, url, params)
          const ours = await verifyTwilioSignature(token, signature, url, params)
          expect(ours).toBe(theirs)
          if (how === 'right') expect(ours).toBe(true)
          if (how === 'params' || how === 'token') expect(ours).toBe(false)
        },
      ),
      { numRuns: 400 },
    )
  })

  it('our verdict equals validateRequestWithBody for random JSON bodies', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ minLength: 1, maxLength: 40 }),
        urlArb,
        fc.json(),
        fc.constantFrom('right', 'body', 'hash', 'token'),
        async (token, base, body, how) => {
          const u = new URL(base)
          const hash = await sha256Hex(how === 'hash' ? `${body}!` : body)
          u.searchParams.set('bodySHA256', hash)
          const url = u.toString()
          const signature = getExpectedTwilioSignature(how === 'token' ? `${token}x` : token, url, {})
          const posted = how === 'body' ? `${body} ` : body
          const theirs = validateRequestWithBody(token, signature, url, posted)
          const ours = await verifyTwilioBodySignature(token, signature, url, posted)
          expect(ours).toBe(theirs)
          expect(ours).toBe(how === 'right')
        },
      ),
      { numRuns: 200 },
    )
  })

  it('tries each spelling of a URL once', () => {
    const spelled = urlSpellings('https://h.example/p?a=1')
    expect(new Set(spelled).size).toBe(spelled.length)
    expect(spelled).toEqual(
      expect.arrayContaining(['https://h.example/p?a=1', 'https://h.example:443/p?a=1']),
    )
  })
})
