import { CopyFailure, deadline } from './copy-failure'
import { type CopyContext, multipart, withRetries } from './copy-steps'
import { PartReader } from './part-reader'
import { MIB, planParts, S3_MIN_PART_BYTES, SEQUENTIAL_MAX_PARTS } from './plan'
import type { ObjectHeaders } from './s3-client'

/** Slowest acceptable upload rate of one buffered part (its deadline scales with size). */
const MIN_BYTES_PER_SECOND = 256 * 1024

/**
 * Sequential mode, for sources without Range support: read the single response in order into one
 * part-sized buffer, upload it (retrying from the buffer), refill. Memory: one part. A file that ends
 * within the first part is a single PUT. With a known length the part size is grown so the file fits
 * in `SEQUENTIAL_MAX_PARTS`; without one, a file larger than that many parts fails.
 */
export async function copySequential(
  ctx: CopyContext,
  response: Response,
  length: number | undefined,
  headers: ObjectHeaders,
): Promise<{ bytes: number; parts: number }> {
  const partSize =
    length === undefined
      ? Math.max(ctx.partSizeMb * MIB, S3_MIN_PART_BYTES)
      : planParts(length, ctx.partSizeMb, SEQUENTIAL_MAX_PARTS).partSize
  const reader = new PartReader(
    response.body,
    length === undefined ? partSize : Math.min(partSize, length),
    ctx.timeoutMs,
  )
  try {
    await reader.next()
    if (!(await reader.hasMore())) {
      checkLength(reader.consumed, length)
      const body = reader.current()
      await withRetries(ctx, 'object', undefined, () =>
        upload(ctx, body.byteLength, (signal) => ctx.s3.putObject(ctx.key, body, headers, signal)),
      )
      return { bytes: body.byteLength, parts: 1 }
    }

    const parts = await multipart(ctx, headers, async (uploadId) => {
      const etags: string[] = []
      for (;;) {
        const partNumber = etags.length + 1
        const body = reader.current()
        etags.push(
          await withRetries(ctx, `part ${partNumber}`, undefined, () =>
            upload(ctx, body.byteLength, (signal) =>
              ctx.s3.uploadPart(ctx.key, uploadId, partNumber, body, signal),
            ),
          ),
        )
        if (!(await reader.hasMore())) break
        if (etags.length >= SEQUENTIAL_MAX_PARTS) {
          throw new CopyFailure(
            'source',
            `the file is larger than ${SEQUENTIAL_MAX_PARTS} parts of ${partSize / MIB} MiB; raise s3_part_size_mb`,
            { retryable: false },
          )
        }
        await reader.next()
      }
      checkLength(reader.consumed, length)
      return etags
    })
    return { bytes: reader.consumed, parts }
  } finally {
    await reader.cancel()
  }
}

async function upload<T>(
  ctx: CopyContext,
  bytes: number,
  put: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const timer = deadline(ctx.timeoutMs + Math.ceil((bytes / MIN_BYTES_PER_SECOND) * 1000))
  try {
    return await put(timer.signal)
  } finally {
    timer.clear()
  }
}

function checkLength(got: number, declared: number | undefined): void {
  if (declared !== undefined && got !== declared) {
    throw new CopyFailure('source', `the source sent ${got} bytes but announced ${declared}`, {
      retryable: false,
    })
  }
}
