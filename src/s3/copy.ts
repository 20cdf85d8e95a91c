import { type CopyContext, type CopyResult, withRetries } from './copy-steps'
import { copyRanged } from './ranged'
import { copySequential } from './sequential'
import { probeSource } from './source'

export type { CopyContext, CopyResult } from './copy-steps'

/**
 * Copy one source file to `ctx.key`, byte for byte. A ranged source is copied in parallel
 * parts, each ranged GET body piped into its UploadPart; any other source is read once, one part buffered
 * at a time. A file of at most one part is a single PUT. On failure no multipart upload is left behind.
 */
export async function copyToS3(ctx: CopyContext): Promise<CopyResult> {
  const probe = await withRetries(ctx, 'probe', undefined, () =>
    probeSource(ctx.fetch, ctx.sourceUrl, ctx.timeoutMs),
  )
  if (probe.kind === 'empty') {
    await withRetries(ctx, 'empty object', undefined, () =>
      ctx.s3.putObject(ctx.key, new Uint8Array(0), probe.headers),
    )
    return { bytes: 0, parts: 1, mode: 'empty' }
  }
  if (probe.kind === 'ranged') {
    return { ...(await copyRanged(ctx, probe.totalBytes, probe.headers)), mode: 'ranged' }
  }
  return { ...(await copySequential(ctx, probe.response, probe.length, probe.headers)), mode: 'sequential' }
}
