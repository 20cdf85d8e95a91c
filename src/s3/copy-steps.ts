import type { FetchFn } from '../lib/http'
import type { Logger } from '../lib/log'
import { CopyFailure } from './copy-failure'
import type { ObjectHeaders, S3Client } from './s3-client'

/** Everything one copy needs. */
export interface CopyContext {
  fetch: FetchFn
  s3: S3Client
  /** The presigned source URL (a credential: never logged). */
  sourceUrl: string
  key: string
  /** `s3_part_size_mb` (≥ 5). */
  partSizeMb: number
  /** `provider_timeout_ms`: for answers to start, and the longest silence inside a body. */
  timeoutMs: number
  sleep: (ms: number) => Promise<void>
  random: () => number
  log: Logger
  /** Told the upload id right after CreateMultipartUpload, before any part (a job stores it). */
  onUpload?: (uploadId: string) => Promise<void>
}

export interface CopyResult {
  bytes: number
  /** 1 for a single PUT (empty files included). */
  parts: number
  /** How the source was read. */
  mode: 'ranged' | 'sequential' | 'empty'
}

/** Attempts per part (and per create/complete call) before the copy is given up. */
export const MAX_ATTEMPTS = 3
/** At most this many parts in flight. Each holds two connections; Workers open six at once. */
export const PART_CONCURRENCY = 4

/**
 * Run a multipart upload: create it, let `body` upload the parts and return their ETags, complete it.
 * Whatever fails after the create, the upload is aborted so S3 keeps (and bills) no orphaned parts.
 */
export async function multipart(
  ctx: CopyContext,
  headers: ObjectHeaders,
  body: (uploadId: string) => Promise<string[]>,
): Promise<number> {
  const uploadId = await withRetries(ctx, 'create', undefined, () =>
    ctx.s3.createMultipartUpload(ctx.key, headers),
  )
  try {
    await ctx.onUpload?.(uploadId)
    const etags = await body(uploadId)
    await withRetries(ctx, 'complete', undefined, () =>
      ctx.s3.completeMultipartUpload(ctx.key, uploadId, etags),
    )
    return etags.length
  } catch (e) {
    await ctx.s3.abortMultipartUpload(ctx.key, uploadId).catch((abortError: unknown) => {
      // Left for a bucket lifecycle rule (docs/bulk-s3.md); the id lets an operator abort it by hand.
      ctx.log.error('bulk abort failed', {
        upload_id: uploadId,
        error_message: abortError instanceof Error ? abortError.message : 'unknown',
      })
    })
    throw e
  }
}

/**
 * Run `step` until it succeeds, it fails for good, `MAX_ATTEMPTS` are spent or `stop` fires. Waits
 * 250 ms, then 1 s (± 25 %) between attempts.
 */
export async function withRetries<T>(
  ctx: CopyContext,
  what: string,
  stop: AbortSignal | undefined,
  step: () => Promise<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await step()
    } catch (e) {
      if (!(e instanceof CopyFailure) || !e.retryable || attempt >= MAX_ATTEMPTS || stop?.aborted) throw e
      ctx.log.warn('bulk step retried', {
        step: what,
        attempt,
        side: e.side,
        status: e.status,
        s3_code: e.code,
        reason: e.message,
      })
      await ctx.sleep(250 * 4 ** (attempt - 1) * (0.75 + 0.5 * ctx.random()))
    }
  }
}
