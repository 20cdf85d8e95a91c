import type { WorkflowStep, WorkflowStepConfig } from 'cloudflare:workers'
import type { Logger } from '../lib/log'
import { copyToS3 } from '../s3/copy'
import { CopyFailure } from '../s3/copy-failure'
import type { CopyContext } from '../s3/copy-steps'
import { type PartPlan, partRange, planParts, S3_MAX_PARTS } from '../s3/plan'
import { transferRange } from '../s3/ranged'
import type { ObjectHeaders, S3Client } from '../s3/s3-client'
import { discard, probeSource } from '../s3/source'
import type { BulkJobStore } from '../storage/bulk-jobs'
import { JobFailure, jobErrorOf } from './job-error'
import type { JobError } from './params'
import type { BulkFile } from './request'

/**
 * Each step: up to 3 retries, 2 s then 4 s then 8 s apart (network errors, timeouts, 408/429/5xx);
 * a permanent failure (404, 403 of an expired URL, S3 4xx) ends the job at once.
 */
const STEP: WorkflowStepConfig = {
  retries: { limit: 3, delay: '2 seconds', backoff: 'exponential' },
  timeout: '30 minutes',
}

/** The one-step copy (no ranges, or one part) reads a whole file: allow it hours, not minutes. */
const WHOLE_FILE_STEP: WorkflowStepConfig = { ...STEP, timeout: '6 hours' }

/**
 * Steps an instance may spend on parts. Workflows allow 10,000 steps per instance (configurable to
 * 25,000); the rest is for probe, create, complete, abort, finish and notify of both files. Past it,
 * one step uploads a group of consecutive parts.
 */
export const MAX_PART_STEPS = 9_000

/**
 * Part steps in flight at once. A part holds two connections (ranged GET, UploadPart PUT) and its step
 * writes to D1; an invocation opens six connections at most. With four in flight a 1 GiB copy under
 * `wrangler dev` stalled for good after a few dozen parts; two never did.
 */
export const PART_STEPS_IN_FLIGHT = 2

type StepOutcome<T> = { ok: true; value: T } | { ok: false; error: JobError }

export interface FileCopy {
  bytes: number
  parts: number
}

export interface StepCopier {
  copy(file: BulkFile): Promise<FileCopy>
  /** Abort the multipart upload recorded on the job, if any (never throws for a gone upload). */
  abortRecorded(): Promise<void>
}

/**
 * Copies files as Workflow steps. A source that answers ranges and needs several parts becomes one
 * step per part (or per group of parts past `MAX_PART_STEPS`), each returning only its ETags; the
 * upload id is stored on the job by the `create` step, before any part. Anything else (empty, one
 * part, a source without ranges, whose single response cannot outlive a step) is one step.
 */
export function createStepCopier(
  step: WorkflowStep,
  jobs: BulkJobStore,
  job: { jobId: string; tenantId: string },
  ctxFor: (file: BulkFile) => CopyContext,
  s3: S3Client,
  now: () => number,
  log: Logger,
): StepCopier {
  /** Run `fn` as a step; retryable failures are thrown (Workflows retries them), others returned. */
  async function copyStep<T>(
    name: string,
    field: BulkFile['field'],
    fn: () => Promise<T>,
    config: WorkflowStepConfig = STEP,
  ): Promise<T> {
    let last: CopyFailure | undefined
    let out: StepOutcome<T>
    try {
      // The outcome travels as JSON text: small (ETags, sizes), and plainly serializable for the engine.
      const raw = await step.do(name, config, async () => {
        try {
          return JSON.stringify({ ok: true, value: await fn() })
        } catch (e) {
          if (!(e instanceof CopyFailure)) throw e
          last = e
          if (e.retryable) throw e
          return JSON.stringify({ ok: false, error: jobErrorOf(e, field) })
        }
      })
      out = JSON.parse(raw) as StepOutcome<T>
    } catch (e) {
      log.warn('bulk step failed', { step: name, error_name: e instanceof Error ? e.name : typeof e })
      throw new JobFailure(
        last ? jobErrorOf(last, field) : { code: 'INTERNAL', message: `The step "${name}" failed.` },
      )
    }
    if (!out.ok) throw new JobFailure(out.error)
    return out.value
  }

  async function abortRecorded(): Promise<void> {
    const row = await jobs.get(job.tenantId, job.jobId)
    if (!row?.upload_id || !row.upload_key) return
    try {
      await s3.abortMultipartUpload(row.upload_key, row.upload_id)
    } catch (e) {
      // Already gone (completed or aborted before a crash): nothing left to clean.
      if (!(e instanceof CopyFailure && e.code === 'NoSuchUpload')) throw e
    }
    await jobs.clearUpload(job.jobId, now())
  }

  async function copyParts(
    file: BulkFile,
    ctx: CopyContext,
    total: number,
    headers: ObjectHeaders,
    plan: PartPlan,
  ): Promise<FileCopy> {
    const uploadId = await copyStep(`create ${file.field}`, file.field, async () => {
      const id = await s3.createMultipartUpload(file.key, headers)
      await jobs.setUpload(job.jobId, file.key, id, now())
      return id
    })
    const perStep = Math.ceil(plan.partCount / MAX_PART_STEPS)
    const groups = Math.ceil(plan.partCount / perStep)
    const etags: string[] = new Array(plan.partCount)
    let next = 0
    let failed = false
    const lane = async () => {
      while (!failed && next < groups) {
        const first = next++ * perStep
        const last = Math.min(first + perStep, plan.partCount) - 1
        const name = `part ${file.field} ${first + 1}${last > first ? `-${last + 1}` : ''}`
        try {
          const tags = await copyStep(name, file.field, async () => {
            const out: string[] = []
            for (let i = first; i <= last; i++) {
              const [start, end] = partRange(i, plan.partSize, total)
              out.push(
                await transferRange(ctx, start, end, undefined, (body, signal) =>
                  s3.uploadPart(file.key, uploadId, i + 1, body, signal),
                ),
              )
            }
            await jobs.touch(job.jobId, now())
            return out
          })
          tags.forEach((tag, k) => {
            etags[first + k] = tag
          })
        } catch (e) {
          failed = true
          throw e
        }
      }
    }
    const lanes = await Promise.allSettled(
      Array.from({ length: Math.min(PART_STEPS_IN_FLIGHT, groups) }, lane),
    )
    const rejected = lanes.find((r): r is PromiseRejectedResult => r.status === 'rejected')
    if (rejected) throw rejected.reason
    await copyStep(`complete ${file.field}`, file.field, async () => {
      await s3.completeMultipartUpload(file.key, uploadId, etags)
      await jobs.clearUpload(job.jobId, now())
      return true
    })
    return { bytes: total, parts: plan.partCount }
  }

  return {
    abortRecorded,
    async copy(file) {
      const ctx = ctxFor(file)
      const probe = await copyStep(`probe ${file.field}`, file.field, async () => {
        const p = await probeSource(ctx.fetch, ctx.sourceUrl, ctx.timeoutMs)
        if (p.kind === 'stream') await discard(p.response)
        return p.kind === 'ranged'
          ? { ranged: true, total: p.totalBytes, headers: p.headers }
          : { ranged: false }
      })
      if (probe.ranged && probe.total !== undefined && probe.headers) {
        const plan = planParts(probe.total, ctx.partSizeMb, S3_MAX_PARTS)
        if (plan.partCount > 1) return copyParts(file, ctx, probe.total, probe.headers, plan)
      }
      return copyStep(
        `copy ${file.field}`,
        file.field,
        async () => {
          // A retry of this step (or a rerun after the instance died in it) starts over: drop the old upload.
          await abortRecorded()
          const result = await copyToS3(ctx)
          await jobs.clearUpload(job.jobId, now())
          return { bytes: result.bytes, parts: result.parts }
        },
        WHOLE_FILE_STEP,
      )
    },
  }
}
