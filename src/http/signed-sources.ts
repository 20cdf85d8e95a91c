import { verifyMulticloudSignature } from '../providers/genesys/multicloud'
import { verifyOpenMessagingSignature } from '../providers/genesys/open-messaging'
import { checkTwilioSignature, NOT_A_FORM, signedUrlOf } from '../providers/twilio/webhook'
import {
  defineSource,
  failedWith,
  forbidden,
  NO_SECRET,
  type RouteInfo,
  verified,
  type WebhookFailure,
} from './webhook-source'

/**
 * The sources whose credential is an HMAC over the raw body bytes (docs/webhooks.md, "Signatures over
 * bytes"). Each answers 403 `FORBIDDEN` to a missing or wrong signature, an unknown tenant, and a tenant
 * without the secret alike.
 */

const tenantField = (route: RouteInfo) => ({ tenant: route.tenantId ?? '' })

/** An `X-Hub-Signature*` check: the header's presence decides the logged reason only. */
function hubSource(
  header: string,
  secretOf: (route: RouteInfo) => { material: string } | { missing: string },
  valid: (secret: string, given: string | null, body: Uint8Array) => Promise<boolean>,
) {
  return defineSource<string>({
    signed: true,
    refusedLog: 'genesys webhook refused',
    logFields: tenantField,
    material: secretOf,
    placeholder: () => NO_SECRET,
    async verify({ body, headers }, secret) {
      const given = headers.get(header)
      if (await valid(secret, given, body)) return verified
      return failedWith(forbidden(header, given !== null ? 'bad signature' : 'no signature'))
    },
    refuseMissing: (reason) => forbidden(header, reason),
  })
}

/** Genesys Cloud Open Messaging: `X-Hub-Signature-256` with the integration's outbound secret. */
export const genesysOpenMessaging = hubSource(
  'X-Hub-Signature-256',
  ({ tenant }) => {
    const secret = tenant?.secrets.genesys?.open_messaging?.outbound_secret
    return secret ? { material: secret } : { missing: 'no open_messaging' }
  },
  verifyOpenMessagingSignature,
)

/**
 * Genesys Multicloud: `X-Hub-Signature` with the `:channelId` channel's webhook secret. An unknown
 * channel is refused like a bad signature: a distinct answer would let anyone probe channel ids.
 */
export const genesysMulticloud = hubSource(
  'X-Hub-Signature',
  ({ tenant, param }) => {
    const id = param('channelId')
    const ch = tenant?.secrets.genesys?.multicloud?.channels.find((x) => x.channel_id === id)
    return ch ? { material: ch.webhook_secret } : { missing: 'unknown channel' }
  },
  verifyMulticloudSignature,
)

/** The URL Twilio signed, with `token`. */
const twilioMaterial = ({ tenant, config, url }: RouteInfo, token: string) => ({
  token,
  url: signedUrlOf(tenant, config.settings, url),
})

const notAForm = (): WebhookFailure => ({
  code: 'VALIDATION_FAILED',
  message: NOT_A_FORM,
  details: { fields: ['(body)'] },
})

/**
 * Twilio status callbacks and incoming messages: `X-Twilio-Signature` with the tenant's
 * `twilio_auth_token`, over the URL Twilio called and the form parameters decoded from the bytes (or,
 * for `?bodySHA256=`, the bytes' hash). A form that does not decode cannot be checked: 400 whatever the
 * signature, as a malformed escape always was.
 */
export const twilio = defineSource<{ token: string; url: string }>({
  signed: true,
  refusedLog: 'twilio webhook refused',
  logFields: tenantField,
  material: (route) => {
    const token = route.tenant?.secrets.twilio_auth_token
    return token ? { material: twilioMaterial(route, token) } : { missing: 'tenant has no twilio_auth_token' }
  },
  placeholder: (route) => twilioMaterial(route, NO_SECRET),
  async verify({ body, headers }, { token, url }) {
    const signature = headers.get('x-twilio-signature') ?? undefined
    const valid = await checkTwilioSignature(token, signature, url, body)
    if (valid) return verified
    if (valid === undefined) return failedWith(notAForm())
    return failedWith(
      forbidden('X-Twilio-Signature', signature ? 'signature mismatch' : 'no X-Twilio-Signature header'),
    )
  },
  refuseMissing: (reason) => forbidden('X-Twilio-Signature', reason),
})
