import { WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from 'cloudflare:workers'
import type { TenantConfig } from '../config/tenant'
import { depsFor, type RequestContext } from '../deps'
import type { CopyContext } from '../s3/copy-steps'
import { createS3Client } from '../s3/s3-client'
import type { BulkJobEnd, BulkJobStore } from '../storage/bulk-jobs'
import { describeJobEnd, JobFailure } from './job-error'
import { notifyJobEnd } from './notify'
import type { BulkJobParams } from './params'
import type { BulkFile } from './request'
import { guardedSourceFetch } from './source-policy'
import { createStepCopier, type FileCopy } from './steps'
import { s3Target } from './sync'

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/**
 * `BULK_COPY`: one instance per bulk job (docs/bulk-s3.md). Marks the job running, copies the data
 * file (then the metadata file) in steps, aborts the open multipart upload on any final failure,
 * stores the outcome on the job and tells CI360. Each of those is its own step, so a restarted
 * instance resumes after the last finished one and never repeats a completed part or event.
 */
export class BulkCopyWorkflow extends WorkflowEntrypoint<Env, BulkJobParams> {
  override async run(event: Readonly<WorkflowEvent<BulkJobParams>>, step: WorkflowStep): Promise<string> {
    const job = event.payload
    const composed = depsFor(this.env)
    // Without a configuration nothing can be written; the cron fails the job once the config is fixed.
    if (!composed.ok) throw new Error('configuration invalid')
    const deps = composed.deps
    const log = deps.log.child({ job_id: job.jobId, tenant: job.tenantId })
    const jobs = deps.stores.bulkJobs

    await step.do('start', async () => {
      await jobs.markRunning(job.jobId, deps.now())
      return true
    })

    let tenant: TenantConfig | undefined
    let end: BulkJobEnd
    try {
      tenant = deps.config.tenant(job.tenantId)
      if (!tenant) throw new JobFailure({ code: 'CONFIG_INVALID', message: 'The tenant no longer exists.' })
      const copier = copierFor(step, { ...deps, log }, tenant, jobs, job)
      try {
        const copies: FileCopy[] = []
        for (const file of job.files) copies.push(await copier.copy(file))
        const data = copies[0] ?? { bytes: 0, parts: 0 }
        end = { state: 'done', bytes: data.bytes, parts: data.parts }
      } catch (e) {
        await step.do('abort', async () => {
          await copier.abortRecorded()
          return true
        })
        throw e
      }
    } catch (e) {
      end = { state: 'failed', ...describeJobEnd(e) }
    }

    await step.do('finish', async () => {
      await jobs.finish(job.jobId, end, deps.now())
      return true
    })
    log.info('bulk job ended', {
      state: end.state,
      ...(end.state === 'done' ? { bytes: end.bytes, parts: end.parts } : { error_code: end.code }),
    })
    if (tenant) {
      const known = tenant
      await step.do('notify', async () => notifyJobEnd({ ...deps, log }, known, jobView(job, known), end))
    }
    return end.state
  }
}

function jobView(job: BulkJobParams, tenant: TenantConfig) {
  const data = job.files[0]
  const key = data?.key ?? ''
  return {
    jobId: job.jobId,
    responseTrackingCode: job.responseTrackingCode,
    uploadFilename: key,
    s3Uri: `s3://${tenant.settings.s3_bucket_name ?? ''}/${key}`,
  }
}

function copierFor(
  step: WorkflowStep,
  deps: RequestContext,
  tenant: TenantConfig,
  jobs: BulkJobStore,
  job: BulkJobParams,
) {
  const settings = tenant.settings
  const s3 = createS3Client(s3Target(deps, tenant), deps.fetch, settings.provider_timeout_ms)
  const sourceFetch = guardedSourceFetch(deps.fetch, settings)
  const ctxFor = (file: BulkFile): CopyContext => ({
    fetch: sourceFetch,
    s3,
    sourceUrl: file.url,
    key: file.key,
    partSizeMb: settings.s3_part_size_mb,
    timeoutMs: settings.provider_timeout_ms,
    sleep: deps.sleep ?? sleep,
    random: deps.random,
    log: deps.log.child({ file: file.field }),
    onUpload: async (uploadId) => {
      await jobs.setUpload(job.jobId, file.key, uploadId, deps.now())
    },
  })
  return createStepCopier(step, jobs, job, ctxFor, s3, deps.now, deps.log)
}
