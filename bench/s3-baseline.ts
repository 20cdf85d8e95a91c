import { Readable } from 'node:stream'
import { S3Client } from '@aws-sdk/client-s3'
import { Upload } from '@aws-sdk/lib-storage'

export interface BaselineJob {
  endpoint: string
  region: string
  accessKeyId: string
  secretAccessKey: string
  bucket: string
  key: string
  sourceUrl: string
  partSize: number
  queueSize: number
}

/**
 * The baseline a user would otherwise write: stream the source with Node's fetch into
 * `@aws-sdk/lib-storage` `Upload` (parts buffered, `queueSize` in parallel). Runs in its own process so
 * it competes with the fakes the same way workerd does. Returns the copy's wall time in seconds.
 */
export async function runBaseline(job: BaselineJob): Promise<number> {
  const client = new S3Client({
    endpoint: job.endpoint,
    region: job.region,
    forcePathStyle: true,
    credentials: { accessKeyId: job.accessKeyId, secretAccessKey: job.secretAccessKey },
  })
  const started = performance.now()
  const source = await fetch(job.sourceUrl)
  if (!source.ok || !source.body) throw new Error(`source answered ${source.status}`)
  const upload = new Upload({
    client,
    params: { Bucket: job.bucket, Key: job.key, Body: Readable.fromWeb(source.body as any) },
    partSize: job.partSize,
    queueSize: job.queueSize,
  })
  await upload.done()
  return (performance.now() - started) / 1000
}
