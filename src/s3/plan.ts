/** Sizes and limits of the multipart copy (docs/protocols.md, "S3"). */

export const MIB = 1024 * 1024

/** S3: every part but the last is at least 5 MiB; at most 10,000 parts per upload. */
export const S3_MIN_PART_BYTES = 5 * MIB
export const S3_MAX_PARTS = 10_000

/**
 * Subrequests one invocation may spend on parts. Workers allow 10,000 per invocation (Paid, default);
 * the rest is headroom for the probe, the metadata file, create/complete/abort and part retries.
 */
export const PART_SUBREQUEST_BUDGET = 9_000

/** Ranged mode spends two subrequests per part (GET the range, PUT the part). */
export const RANGED_MAX_PARTS = Math.min(S3_MAX_PARTS, Math.floor(PART_SUBREQUEST_BUDGET / 2))

/** Sequential mode spends one subrequest per part (the source is a single GET). */
export const SEQUENTIAL_MAX_PARTS = Math.min(S3_MAX_PARTS, PART_SUBREQUEST_BUDGET)

export interface PartPlan {
  /** Bytes per part (the last part may be shorter). */
  partSize: number
  /** Number of parts; 1 means a single PUT. 0-byte files are one (empty) PUT. */
  partCount: number
}

/**
 * The part size for a file of `totalBytes`: `s3_part_size_mb`, grown in whole MiB until the file fits in
 * `maxParts` parts. A file no larger than one part is a single PUT.
 */
export function planParts(totalBytes: number, partSizeMb: number, maxParts: number): PartPlan {
  const configured = Math.max(partSizeMb * MIB, S3_MIN_PART_BYTES)
  const needed = Math.ceil(totalBytes / maxParts / MIB) * MIB
  const partSize = Math.max(configured, needed)
  return { partSize, partCount: Math.max(1, Math.ceil(totalBytes / partSize)) }
}

/** Byte range `[start, end]` (inclusive, as in an HTTP Range header) of part `index` (0-based). */
export function partRange(index: number, partSize: number, totalBytes: number): [number, number] {
  const start = index * partSize
  return [start, Math.min(start + partSize, totalBytes) - 1]
}
