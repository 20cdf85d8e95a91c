import type { TenantConfig } from '../config/tenant'
import type { Deps } from '../deps'
import { validationError } from '../lib/validation'
import type { MulticloudReply } from '../openapi/replies'
import type { Body } from '../openapi/reply'
import { asOpenMessage, MulticloudBodySchema } from '../providers/genesys/multicloud'
import { genesysGuid } from '../providers/genesys/open-messaging'
import { type ParsedGenesysMessage, parseGenesysMessage, sendGenesysMessage } from './send'

type Reply = Body<typeof MulticloudReply>
type Outcome = Reply['messages'][number]

export interface MulticloudRequest {
  tenant: TenantConfig
  channel: string
  origin: string | undefined
}

/**
 * A verified Multicloud webhook body (docs/protocols.md, "Genesys Multicloud"). Every message is checked
 * before any is sent, so a bad one refuses the whole body (400) and nothing goes out. Each is then sent
 * as an Open message would be, in order, stored as its normalized form (what a retry re-reads). The
 * reply's `messageId`/`status` are the first message's; `messages` has every outcome. A storage failure
 * is a 503 so Genesys redelivers: messages already stored are then duplicates, never sent twice.
 */
export async function handleMulticloud(deps: Deps, req: MulticloudRequest, body: unknown): Promise<Reply> {
  const parsed = MulticloudBodySchema.safeParse(body)
  if (!parsed.success) throw validationError(parsed.error)
  const items = parsed.data.messages.map((m, i) => {
    const message = asOpenMessage(m)
    return { ...parseGenesysMessage(message, `messages.${i}.`), rawBody: JSON.stringify(message) }
  })
  const messages: Outcome[] = []
  for (const { rawBody, ...parsed } of items)
    messages.push(await handleOne(deps, { ...req, rawBody }, parsed))
  const first = messages[0] as Outcome
  return { messageId: first.messageId, status: first.status, messages }
}

/** One message: a rejection or a send already under way is an outcome here, not the whole reply. */
async function handleOne(
  deps: Deps,
  req: MulticloudRequest & { rawBody: string },
  parsed: ParsedGenesysMessage,
): Promise<Outcome> {
  const id = 'send' in parsed ? parsed.send.id : parsed.ignored.id
  const messageId = genesysGuid(id)
  const outcome = await sendGenesysMessage(deps, req, parsed)
  switch (outcome.status) {
    case 'ANSWERED':
      return { messageId, ...outcome.body }
    case 'IN_PROGRESS':
      return { messageId, status: 'IN_PROGRESS', id }
    case 'PROVIDER_REJECTED': {
      const code = outcome.error.providerCode
      return {
        messageId,
        status: 'PROVIDER_REJECTED',
        id,
        ...(code !== undefined ? { provider_code: code } : {}),
      }
    }
  }
}
