import { describe, expect, expectTypeOf, it } from 'vitest'
import { retryNow } from '../../src/admin/actions'
import { eventDetail, eventItem, messageItem } from '../../src/admin/operator-present'
import { deliveryRecord, failedRequestDetail, failedRequestItem } from '../../src/admin/present'
import { acceptBulkJob } from '../../src/bulk/accept'
import { readJob } from '../../src/bulk/jobs'
import { handleBulkS3 } from '../../src/bulk/sync'
import type { reply } from '../../src/http/reply'
import { handleInbound } from '../../src/inbound/flow'
import { replayStoredEvent } from '../../src/inbound/replay'
import { handleTokenRequest } from '../../src/oauth/token-endpoint'
import type { Operation } from '../../src/openapi/operation'
import * as O from '../../src/openapi/operator-replies'
import * as R from '../../src/openapi/replies'
import {
  type Body,
  bulkAcceptReplies,
  outboundReplies,
  type Reply,
  retryReplies,
} from '../../src/openapi/reply'
import { handleOutbound } from '../../src/outbound/pipeline'
import { webhookFormats } from '../../src/providers/registry'
import { adminOperations } from '../../src/routes/admin'
import { bulkOperations } from '../../src/routes/bulk'
import { messageOperations } from '../../src/routes/messages'
import { operatorEventOperations } from '../../src/routes/operator-events'
import { operatorSearchOperations } from '../../src/routes/operator-search'

/**
 * The reply schemas are the single source of the reply types. The `expectTypeOf` lines are checked by
 * `npm run typecheck` (they do nothing at run time): each capability returns exactly its schema's type,
 * and a body that drifts from its schema does not type-check. The `it` blocks check that the OpenAPI
 * operations document those same schema objects.
 */

// Every capability a route answers with returns the type of the schema the route documents.
expectTypeOf(handleOutbound).returns.resolves.toEqualTypeOf<Reply<typeof outboundReplies>>()
expectTypeOf(retryNow).returns.resolves.toEqualTypeOf<Reply<typeof retryReplies>>()
expectTypeOf(acceptBulkJob).returns.resolves.toEqualTypeOf<Reply<typeof bulkAcceptReplies>>()
expectTypeOf(handleBulkS3).returns.resolves.toEqualTypeOf<Body<typeof R.BulkReply>>()
expectTypeOf(readJob).returns.resolves.toEqualTypeOf<Body<typeof R.BulkJobReply>['job']>()
expectTypeOf(handleTokenRequest).returns.resolves.toEqualTypeOf<Body<typeof R.TokenReply>>()
expectTypeOf(replayStoredEvent).returns.resolves.toEqualTypeOf<Body<typeof R.WebhookReply>>()
expectTypeOf(handleInbound)
  .returns.resolves.toHaveProperty('reply')
  .toEqualTypeOf<Body<typeof R.WebhookReply>>()
for (const format of Object.values(webhookFormats)) {
  expectTypeOf(format.reply).returns.toEqualTypeOf<Body<typeof R.WebhookReply>>()
}
expectTypeOf(failedRequestItem).returns.toEqualTypeOf<Body<typeof R.FailedRequestList>['items'][number]>()
expectTypeOf(failedRequestDetail).returns.toEqualTypeOf<Body<typeof R.FailedRequestOne>['item']>()
expectTypeOf(deliveryRecord).returns.toEqualTypeOf<Body<typeof R.DeliveryRecord>>()
expectTypeOf(eventItem).returns.toEqualTypeOf<Body<typeof O.EventItem>>()
expectTypeOf(eventDetail).returns.toEqualTypeOf<Body<typeof O.EventDetail>>()
expectTypeOf(messageItem).returns.toEqualTypeOf<Body<typeof O.MessageItem>>()

// The route helper takes exactly the body of the schema it is given.
expectTypeOf<Parameters<typeof reply<typeof R.HealthReply>>[3]>().toEqualTypeOf<{
  status: 'OK'
  version: string
}>()

// Drift is a type error: a missing field, a status literal the schema does not list, a wrong status code.
expectTypeOf<{ status: 'OK'; guid: string; message_id: null }>().not.toExtend<Body<typeof R.OutboundOk>>()
expectTypeOf<{ status: 'SENT'; provider: 'scg'; guid: string; message_id: null }>().not.toExtend<
  Body<typeof R.OutboundOk>
>()
expectTypeOf<{ status: 'OK'; provider: 'scg'; guid: string; message_id: null }>().toExtend<
  Body<typeof R.OutboundOk>
>()
expectTypeOf<{ status: 200; body: Body<typeof R.OutboundQueued> }>().not.toExtend<
  Reply<typeof outboundReplies>
>()
expectTypeOf<{ status: 202; body: Body<typeof R.OutboundQueued> }>().toExtend<Reply<typeof outboundReplies>>()
expectTypeOf<{ status: 'IGNORED'; event_id: 7 }>().not.toExtend<Body<typeof R.WebhookReply>>()

const schemaOf = (ops: Operation[], method: string, path: string, status: string) =>
  ops.find((o) => o.method === method && o.path === path)?.responses[status]?.schema

describe('reply schemas', () => {
  it('the OpenAPI operations document the very schemas that type the capabilities', () => {
    const outbound = '/v1/tenants/{tenant}/scg/messages'
    expect(schemaOf(messageOperations, 'post', outbound, '200')).toBe(outboundReplies[200])
    expect(schemaOf(messageOperations, 'post', outbound, '202')).toBe(outboundReplies[202])
    const retry = '/v1/tenants/{tenant}/failed-requests/{id}/retry'
    expect(schemaOf(adminOperations, 'post', retry, '200')).toBe(retryReplies[200])
    expect(schemaOf(adminOperations, 'post', retry, '202')).toBe(retryReplies[202])
    expect(schemaOf(bulkOperations, 'post', '/v1/tenants/{tenant}/bulk/s3', '202')).toBe(
      bulkAcceptReplies[202],
    )
    const replay = '/v1/tenants/{tenant}/events/{id}/replay'
    expect(schemaOf(operatorEventOperations, 'post', replay, '200')).toBe(R.WebhookReply)
    expect(schemaOf(operatorEventOperations, 'get', '/v1/tenants/{tenant}/events/{id}', '200')).toBe(
      O.EventOne,
    )
    expect(schemaOf(operatorSearchOperations, 'get', '/v1/tenants/{tenant}/messages', '200')).toBe(
      O.MessageList,
    )
    expect(schemaOf(operatorSearchOperations, 'get', '/v1/tenants/{tenant}/stats', '200')).toBe(O.StatsReply)
  })

  it('a retry reply carries the row it retried, as the schema says', () => {
    const queued = {
      status: 'QUEUED',
      id: 'a'.repeat(29),
      guid: 'g-1',
      state: 'pending',
      attempts: 2,
      retry_at: '2026-01-01T00:00:00.000Z',
      last_error: 'http 503',
    }
    expect(retryReplies[202].safeParse(queued).success).toBe(true)
    expect(retryReplies[202].safeParse({ ...queued, retry_at: 'soon' }).success).toBe(false)
    expect(retryReplies[200].safeParse({ ...queued, status: 'STALE', reason: 'old' }).success).toBe(true)
  })
})
