import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test'
import type { Deps } from '../../src/deps'
import { consumeSends } from '../../src/pacing/consumer'
import type { QueuedSend } from '../../src/storage/queued-send'

/** One message as put on the captured queue, with the delay it asked for. */
export interface Captured {
  body: QueuedSend
  delaySeconds: number
}

/**
 * A stand-in for the `SENDS` queue binding that keeps what is sent to it, so a test decides when the
 * consumer runs (`drainQueue`). `refuse` makes every send throw, as a queue that is down.
 */
export function captureQueue() {
  let pending: Captured[] = []
  const all: Captured[] = []
  let refusing = false
  const put = (body: QueuedSend, delaySeconds = 0) => {
    if (refusing) throw new Error('queue unavailable')
    const c = { body: structuredClone(body), delaySeconds }
    pending.push(c)
    all.push(c)
  }
  const queue = {
    async send(body: QueuedSend, options?: QueueSendOptions) {
      put(body, options?.delaySeconds)
    },
    async sendBatch(messages: Iterable<MessageSendRequest<QueuedSend>>) {
      for (const m of messages) put(m.body, m.delaySeconds)
    },
  } as unknown as Queue<QueuedSend>
  return {
    queue,
    /** Everything ever put on the queue. */
    all,
    /** The messages not yet consumed. */
    pending: () => pending,
    take(): Captured[] {
      const out = pending
      pending = []
      return out
    },
    refuse(on = true) {
      refusing = on
    },
  }
}

export type CapturedQueue = ReturnType<typeof captureQueue>

/** Run the consumer once over the pending messages, as one batch; its acks and retries. */
export async function drainQueue(deps: Deps, q: CapturedQueue) {
  const taken = q.take()
  const batch = createMessageBatch<unknown>(
    'sends',
    taken.map((c, i) => ({
      id: `m${i}-${crypto.randomUUID()}`,
      timestamp: new Date(),
      attempts: 1,
      body: c.body,
    })),
  )
  const ctx = createExecutionContext()
  await consumeSends(deps, batch)
  return getQueueResult(batch, ctx)
}
