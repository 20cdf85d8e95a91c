import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { findInGroup } from './proc'

export interface DevServer {
  url: string
  /** The workerd processes of the dev server (for memory and CPU readings). */
  workerdPids: number[]
  logFile: string
  stop(): Promise<void>
}

/**
 * Start wrangler's dev server on 127.0.0.1:`port` in its own process group, configured only through an env
 * file of our own (vars and secrets), with local state in a temporary folder; `stop()` kills the group.
 *
 * `inspector: true` runs the `wrangler dev` CLI as a developer would. The CLI always attaches the DevTools
 * inspector, which makes workerd record subrequest bodies: streaming gets 10–50× slower and memory grows
 * with every byte copied, which says nothing about production. `inspector: false` runs the same dev
 * server through wrangler's `unstable_startWorker` API (what the CLI calls) with the inspector off.
 */
export async function startWranglerDev(
  port: number,
  env: Record<string, string>,
  options: { inspector: boolean; migrate?: boolean },
): Promise<DevServer> {
  // Local D1/KV state on tmpfs when there is one: the local simulator fsyncs every write, and on a shared
  // disk that wait, not the Worker, would be what the route benchmark measures.
  const dir = mkdtempSync(path.join(existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir(), 'bench-wrangler-'))
  const envFile = path.join(dir, 'bench.env')
  writeFileSync(
    envFile,
    Object.entries(env)
      .map(([k, v]) => `${k}='${v}'`)
      .join('\n'),
  )
  const logFile = path.join(dir, 'wrangler.log')
  const log = openSync(logFile, 'a')
  const persist = path.join(dir, 'state')
  if (options.migrate) {
    execFileSync(
      'node_modules/.bin/wrangler',
      ['d1', 'migrations', 'apply', 'connector', '--local', '--persist-to', persist],
      {
        stdio: 'ignore',
        env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: '1' },
      },
    )
  }
  const [command, args] = options.inspector
    ? [
        'node_modules/.bin/wrangler',
        [
          'dev',
          '--ip',
          '127.0.0.1',
          '--port',
          String(port),
          '--env-file',
          envFile,
          '--persist-to',
          persist,
        ].concat(['--log-level', 'warn', '--show-interactive-dev-session=false']),
      ]
    : [
        process.execPath,
        [fileURLToPath(import.meta.url), '--dev-server', JSON.stringify({ port, envFile, persist })],
      ]
  const child: ChildProcess = spawn(command, args, {
    detached: true,
    stdio: ['ignore', log, log],
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: '1' },
  })
  const pgid = child.pid
  if (pgid === undefined) throw new Error('wrangler dev did not start')
  const stop = async () => {
    try {
      process.kill(-pgid, 'SIGTERM')
    } catch {
      return
    }
    for (let i = 0; i < 50 && findInGroup(pgid, 'workerd').length > 0; i++) await sleep(100)
    try {
      process.kill(-pgid, 'SIGKILL')
    } catch {
      // already gone
    }
    rmSync(dir, { recursive: true, force: true })
  }
  const url = `http://127.0.0.1:${port}`
  for (let i = 0; i < 600; i++) {
    const ok = await fetch(`${url}/health`).then(
      (r) => r.ok,
      () => false,
    )
    const workerd = findInGroup(pgid, 'workerd')
    if (ok && workerd.length > 0) return { url, workerdPids: workerd, logFile, stop }
    await sleep(100)
  }
  await stop()
  throw new Error(`wrangler dev did not answer on ${url} within 60 s (log: ${logFile})`)
}

/** The child process of `inspector: false`: wrangler's dev server, kept up until the group is killed. */
export async function runDevServer(job: { port: number; envFile: string; persist: string }): Promise<void> {
  const { unstable_startWorker } = await import('wrangler')
  const worker = await unstable_startWorker({
    config: 'wrangler.toml',
    envFiles: [job.envFile],
    dev: {
      server: { hostname: '127.0.0.1', port: job.port },
      inspector: false,
      watch: false,
      persist: job.persist,
      logLevel: 'warn',
    },
  })
  await worker.ready
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
