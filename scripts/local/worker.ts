/** Run `wrangler dev` (local KV/D1, no account) in its own process group, and stop it cleanly. */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { copyFileSync, existsSync } from 'node:fs'

export const WORKER_PORT = 8787
export const WORKER_URL = `http://127.0.0.1:${WORKER_PORT}`

const quietEnv = { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: '1', FORCE_COLOR: '0' }

/** `.dev.vars` from the example when missing, and the D1 migrations applied to the local database. */
export function prepareLocalState(): void {
  if (!existsSync('.dev.vars')) {
    copyFileSync('.dev.vars.example', '.dev.vars')
    console.log('Created .dev.vars from .dev.vars.example (the demo tenant).')
  }
  execFileSync('node_modules/.bin/wrangler', ['d1', 'migrations', 'apply', 'connector', '--local'], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: quietEnv,
  })
}

export async function isUp(url = WORKER_URL): Promise<boolean> {
  try {
    return (await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) })).ok
  } catch {
    return false
  }
}

export interface RunningWorker {
  child: ChildProcess
  stop(): void
}

/** Start `wrangler dev` on 127.0.0.1:8787; `onLine` gets its output; resolves once /health answers. */
export async function startWorker(onLine: (line: string) => void): Promise<RunningWorker> {
  const child = spawn(
    'node_modules/.bin/wrangler',
    // --test-scheduled: with [assets] configured, wrangler dev answers 500 on /cdn-cgi/handler/scheduled;
    // /__scheduled is the route that runs the scheduled handler locally.
    [
      'dev',
      '--ip',
      '127.0.0.1',
      '--port',
      String(WORKER_PORT),
      '--show-interactive-dev-session=false',
      '--test-scheduled',
    ],
    { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: quietEnv },
  )
  for (const stream of [child.stdout, child.stderr]) {
    let rest = ''
    stream?.on('data', (chunk: Buffer) => {
      const lines = (rest + chunk.toString()).split('\n')
      rest = lines.pop() ?? ''
      for (const line of lines) if (line.trim()) onLine(line)
    })
  }
  // The whole process group, even when wrangler itself has exited: its workerd child may still hold the port.
  const stop = () => {
    if (child.pid) {
      try {
        process.kill(-child.pid, 'SIGTERM')
      } catch {
        // Already gone.
      }
    }
  }
  const deadline = Date.now() + 90_000
  while (!(await isUp())) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited with code ${child.exitCode}`)
    if (Date.now() > deadline) {
      stop()
      throw new Error('wrangler dev did not answer /health within 90 s')
    }
    await new Promise((r) => setTimeout(r, 300))
  }
  return { child, stop }
}

/** Every-minute cron expression of wrangler.toml's `[triggers]`. */
export const CRON = '* * * * *'

/**
 * Run the Worker's scheduled handler once (the retry cron), as Cloudflare would every minute. Throws
 * when the Worker does not answer 2xx, so a broken local cron is loud instead of silently skipped.
 */
export async function fireCron(url = WORKER_URL): Promise<void> {
  const res = await fetch(`${url}/__scheduled?cron=${encodeURIComponent(CRON)}`, {
    signal: AbortSignal.timeout(30_000),
  })
  await res.text()
  if (!res.ok) throw new Error(`the retry cron (/__scheduled) answered ${res.status}`)
}
