import * as z from 'zod/mini'
import { OpenMessageSchema } from '../providers/genesys/open-messaging'
import { common, err, type Operation, tenantParam } from './operation'
import * as R from './replies'

/** The documented body: each message in the normalized shape (`type`/`direction` default to Text/Outbound). */
const MulticloudDocSchema = z.looseObject({ messages: z.array(OpenMessageSchema) })

/** The Genesys routes. */
export const genesysOperations: Operation[] = [
  {
    method: 'post',
    path: '/v1/genesys/{tenant}/open-messaging',
    summary: 'Genesys Cloud Open Messaging outbound message → SCG or Twilio',
    tag: 'Genesys',
    security: 'genesysSignature',
    params: [tenantParam],
    body: [{ type: 'application/json', schema: OpenMessageSchema }],
    responses: {
      '200': {
        description: 'Sent (OK), stored for retry (QUEUED), DUPLICATE or IGNORED',
        schema: R.GenesysReply,
      },
      '400': common['400'],
      '403': err('Missing or invalid X-Hub-Signature-256, or unknown tenant (FORBIDDEN)'),
      '409': err('The same message is being sent right now (IN_PROGRESS)'),
      '413': common['413'],
      '422': err('The provider refused the message (PROVIDER_REJECTED, with provider_code)'),
      '503': common['503'],
    },
  },
  {
    method: 'post',
    path: '/v1/genesys/{tenant}/channels/{channelId}/webhook',
    summary: 'Genesys Multicloud Digital Channels (Async) messages → SCG or Twilio',
    tag: 'Genesys',
    security: 'multicloudSignature',
    params: [
      tenantParam,
      {
        name: 'channelId',
        in: 'path',
        description: 'A channel_id of genesys.multicloud',
        schema: z.string(),
      },
    ],
    body: [{ type: 'application/json', schema: MulticloudDocSchema }],
    responses: {
      '200': {
        description:
          'Every message handled: messageId/status of the first, `messages` one outcome each (OK, QUEUED, DUPLICATE, IGNORED, PROVIDER_REJECTED, IN_PROGRESS)',
        schema: R.MulticloudReply,
      },
      '400': common['400'],
      '403': err('Missing or invalid X-Hub-Signature, unknown tenant or unknown channel (FORBIDDEN)'),
      '413': common['413'],
      '503': err(
        'Storage unavailable: not every message was stored; Genesys redelivers (STORAGE_UNAVAILABLE)',
      ),
    },
  },
]
