import { CopyFailure, deadline } from './copy-failure'
import { type CopyContext, multipart, PART_CONCURRENCY, withRetries } from './copy-steps'
import { partRange, planParts, RANGED_MAX_PARTS } from './plan'
import type { ObjectHeaders } from './s3-client'
import { discard, fetchSource, parseContentRange, sourceStatusFailure } from './source'

/** Slowest transfer rate a part may have before it counts as stalled (its deadline scales with size). */
const MIN_BYTES_PER_SECOND = 256 * 1024

/**
 * Ranged mode: parts in parallel (at most `PART_CONCURRENCY`), each a ranged GET whose body goes straight
 * into the PUT (no buffering, so part size costs no memory). A failed part re-fetches its range.
 */
export async function copyRanged(
  ctx: CopyContext,
  totalBytes: number,
  headers: ObjectHeaders,
): Promise<{ bytes: number; parts: number }> {
  const plan = planParts(totalBytes, ctx.partSizeMb, RANGED_MAX_PARTS)
  if (plan.partCount === 1) {
    await withRetries(ctx, 'object', undefined, () =>
      transferRange(ctx, 0, totalBytes - 1, undefined, (body, signal) =>
        ctx.s3.putObject(ctx.key, body, headers, signal),
      ),
    )
    return { bytes: totalBytes, parts: 1 }
  }

  const parts = await multipart(ctx, headers, async (uploadId) => {
    const etags: string[] = new Array(plan.partCount)
    const stop = new AbortController()
    let failure: unknown
    let next = 0
    const lane = async () => {
      while (failure === undefined && next < plan.partCount) {
        const index = next++
        const [start, end] = partRange(index, plan.partSize, totalBytes)
        try {
          etags[index] = await withRetries(ctx, `part ${index + 1}`, stop.signal, () =>
            transferRange(ctx, start, end, stop.signal, (body, signal) =>
              ctx.s3.uploadPart(ctx.key, uploadId, index + 1, body, signal),
            ),
          )
        } catch (e) {
          if (failure === undefined) {
            failure = e
            stop.abort()
          }
        }
      }
    }
    await Promise.all(Array.from({ length: Math.min(PART_CONCURRENCY, plan.partCount) }, lane))
    if (failure !== undefined) throw failure
    return etags
  })
  return { bytes: totalBytes, parts }
}

/**
 * GET `bytes=start-end` and hand its body to `upload`. The body passes through a `FixedLengthStream`:
 * the PUT keeps a known Content-Length, a short or long source fails the part, and when the source
 * breaks off, the pipe fails *before* the PUT does, which tells the two ends' failures apart.
 */
export async function transferRange<T>(
  ctx: CopyContext,
  start: number,
  end: number,
  stop: AbortSignal | undefined,
  upload: (body: ReadableStream, signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const length = end - start + 1
  const timeLimit = ctx.timeoutMs + Math.ceil((length / MIN_BYTES_PER_SECOND) * 1000)
  const timer = deadline(timeLimit, stop)
  try {
    const res = await fetchSource(ctx.fetch, ctx.sourceUrl, `bytes=${start}-${end}`, timer.signal)
    if (res.status !== 206) {
      await discard(res)
      throw res.ok
        ? new CopyFailure('source', 'the source stopped answering ranges', { retryable: false })
        : sourceStatusFailure(res.status)
    }
    const range = parseContentRange(res.headers.get('content-range'))
    if (!res.body || range?.start !== start || range.end !== end) {
      await discard(res)
      throw new CopyFailure('source', `the source answered another range than ${start}-${end}`, {
        retryable: false,
      })
    }
    const fixed = new FixedLengthStream(length)
    const pipeStop = new AbortController()
    let settled = false
    let sourceBroke: CopyFailure | undefined
    const piping = res.body.pipeTo(fixed.writable, { signal: pipeStop.signal }).catch((cause: unknown) => {
      if (!settled) {
        sourceBroke = new CopyFailure('source', 'the connection broke off mid-part', {
          retryable: true,
          cause,
        })
      }
    })
    try {
      const result = await upload(fixed.readable, timer.signal)
      settled = true
      await piping
      return result
    } catch (e) {
      // A source failure fails the pipe first; give its rejection a turn to be recorded.
      await new Promise((resolve) => setTimeout(resolve, 0))
      settled = true
      pipeStop.abort()
      if (timer.expired()) {
        throw new CopyFailure('s3', `bytes ${start}-${end} did not arrive within ${timeLimit} ms`, {
          retryable: true,
          cause: e,
        })
      }
      throw sourceBroke ?? e
    }
  } finally {
    timer.clear()
  }
}
