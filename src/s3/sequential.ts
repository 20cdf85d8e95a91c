import { CopyFailure, deadline } from './copy-failure'
import { type CopyContext, multipart, withRetries } from './copy-steps'
import { MIB, planParts, S3_MIN_PART_BYTES, SEQUENTIAL_MAX_PARTS } from './plan'
import type { ObjectHeaders } from './s3-client'
import { SourceReader } from './source'

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
  const reader = new SourceReader(response.body ?? new ReadableStream(), ctx.timeoutMs)
  try {
    const buffer = new Uint8Array(length === undefined ? partSize : Math.min(partSize, length))
    let filled = await reader.fill(buffer)

    if (!(await reader.hasMore())) {
      checkLength(filled, length)
      const body = buffer.subarray(0, filled)
      await withRetries(ctx, 'object', undefined, () =>
        upload(ctx, filled, (signal) => ctx.s3.putObject(ctx.key, body, headers, signal)),
      )
      return { bytes: filled, parts: 1 }
    }

    const parts = await multipart(ctx, headers, async (uploadId) => {
      const etags: string[] = []
      for (;;) {
        const partNumber = etags.length + 1
        const body = buffer.subarray(0, filled)
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
        filled = await reader.fill(buffer)
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
