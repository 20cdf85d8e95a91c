import * as z from 'zod/mini'
import { expected, text } from './coerce'

const required = text.check(z.minLength(1, { error: 'must not be empty' }))
const url = z.url({ error: 'must be a URL' })
const e164 = z.string().check(z.regex(/^\+[1-9]\d{6,14}$/, { error: 'must be an E.164 number (+…)' }))

/** Genesys Cloud Open Messaging: the integration's id and secret, and the OAuth client for its API. */
const OpenMessagingSchema = z.object(
  {
    integration_id: required,
    outbound_secret: required,
    client_id: required,
    client_secret: required,
    login_url: url,
    api_url: url,
  },
  { error: expected('an object') },
)

/** Genesys Multicloud CX Digital Channels, "Async" provider: one entry per channel. */
const MulticloudSchema = z.object(
  {
    ccid: required,
    nexus_url: url,
    inbound_path: z.optional(required),
    channels: z.array(z.object({ channel_id: required, webhook_secret: required, api_secret: required }), {
      error: expected('a list'),
    }),
  },
  { error: expected('an object') },
)

/**
 * The tenant secret's optional `genesys` entry: this tenant is the SMS gateway of a Genesys contact
 * centre, sending through `provider`; `numbers` are our numbers whose replies belong to Genesys.
 */
export const GenesysSchema = z.object(
  {
    provider: z.enum(['scg', 'twilio'], { error: expected('"scg" or "twilio"') }),
    sender: z.optional(required),
    numbers: z._default(z.array(e164, { error: expected('a list of E.164 numbers') }), []),
    open_messaging: z.optional(OpenMessagingSchema),
    multicloud: z.optional(MulticloudSchema),
  },
  { error: expected('an object') },
)

export type GenesysConfig = z.infer<typeof GenesysSchema>
