import { cpuSecondsOf, sampleMemory } from './proc'

/**
 * The asynchronous copy (`bulk_mode=async`): time until the Worker answers 202, time until the job
 * route says `done` (the BULK_COPY Workflow ran every step), and workerd's peak RSS growth and CPU over
 * the whole job. Polls the job route every 250 ms, so "done" is known to within a quarter second.
 */
export interface AsyncCopyReading {
  seconds_to_202: number
  seconds_to_done: number
  peak_rss_growth_mb: number
  cpu_seconds: number
  parts: number
}

export async function measureAsyncCopy(
  baseUrl: string,
  tenant: string,
  apiKey: string,
  body: unknown,
  workerdPids: number[],
): Promise<AsyncCopyReading> {
  const cpu = cpuSecondsOf(workerdPids)
  const memory = sampleMemory(workerdPids)
  const started = performance.now()
  const res = await fetch(`${baseUrl}/v1/tenants/${tenant}/bulk/s3`, {
    method: 'POST',
    headers: { 'x-api-key': apiKey },
    body: JSON.stringify(body),
  })
  const accepted = (performance.now() - started) / 1000
  const reply = (await res.json()) as { job_id?: string }
  if (res.status !== 202 || !reply.job_id) {
    memory.stop()
    throw new Error(`async copy not accepted: ${res.status} ${JSON.stringify(reply)}`)
  }
  const deadline = Date.now() + 30 * 60_000
  for (;;) {
    const job = (await (
      await fetch(`${baseUrl}/v1/tenants/${tenant}/bulk/jobs/${reply.job_id}`, {
        headers: { 'x-api-key': apiKey },
      })
    ).json()) as { job?: { state: string; parts: number | null; error: unknown } }
    const state = job.job?.state
    if (state === 'done' || state === 'failed' || Date.now() > deadline) {
      const done = (performance.now() - started) / 1000
      const growth = memory.stop().growth
      if (state !== 'done') throw new Error(`async copy ended ${state}: ${JSON.stringify(job.job?.error)}`)
      return {
        seconds_to_202: accepted,
        seconds_to_done: done,
        peak_rss_growth_mb: growth / 1e6,
        cpu_seconds: cpuSecondsOf(workerdPids) - cpu,
        parts: job.job?.parts ?? 0,
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
}
