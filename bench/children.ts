import { type ChildProcess, spawn } from 'node:child_process'
import type http from 'node:http'
import { fileURLToPath } from 'node:url'
import { createFakeCi360 } from '../test/fakes/ci360'
import { createFakeS3 } from '../test/fakes/s3'
import { createFakeScg } from '../test/fakes/scg'
import { createFakeSource } from '../test/fakes/source'
import { createFakeTwilio } from '../test/fakes/twilio'
import { type BaselineJob, runBaseline } from './s3-baseline'
import { runDevServer } from './wrangler-dev'

/**
 * The benchmark runs its parts in separate processes so they do not share one event loop: the file
 * source, the local S3 server, wrangler's dev server and the SDK baseline are this same bundle started
 * with a role argument. A child announces itself with one JSON line on stdout.
 */

export interface Child<T> {
  pid: number
  info: T
  process: ChildProcess
  /** Everything the child printed so far. */
  output(): string
  /** SIGTERM, then wait for the exit. */
  stop(): Promise<void>
}

const BUNDLE = fileURLToPath(import.meta.url)

export async function startChild<T>(role: string, arg: unknown): Promise<Child<T>> {
  const child = spawn(process.execPath, [BUNDLE, role, JSON.stringify(arg ?? {})], {
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  let out = ''
  const info = await new Promise<T>((resolve, reject) => {
    child.on('exit', (code) => reject(new Error(`${role} exited with ${code} before it was ready`)))
    child.stdout!.on('data', (d) => {
      out += d
      const line = out.indexOf('\n')
      if (line >= 0) resolve(JSON.parse(out.slice(0, line)) as T)
    })
  })
  child.removeAllListeners('exit')
  return {
    pid: child.pid!,
    info,
    process: child,
    output: () => out,
    stop: async () => {
      if (child.exitCode !== null) return
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      await exited
    },
  }
}

/** Runs a child role; returns false when `args` name none (the coordinator then runs). */
export async function runRole(args: string[]): Promise<boolean> {
  const [role, raw = '{}'] = args
  const arg = JSON.parse(raw) as Record<string, any>
  const announce = (info: unknown) => process.stdout.write(`${JSON.stringify(info)}\n`)
  const serve = async (server: http.Server) => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    announce({ url: `http://127.0.0.1:${(server.address() as { port: number }).port}` })
  }
  switch (role) {
    case '--serve-providers': {
      // SCG, Twilio and CI360 in one process, answering at once (for the route benchmark).
      const urls: Record<string, string> = {}
      for (const [name, server] of [
        ['scg', createFakeScg().server],
        ['twilio', createFakeTwilio().server],
        ['ci360', createFakeCi360().server],
      ] as const) {
        await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
        urls[name] = `http://127.0.0.1:${(server.address() as { port: number }).port}`
      }
      announce(urls)
      return true
    }
    case '--serve-source':
      await serve(createFakeSource().server)
      return true
    case '--serve-s3': {
      const s3 = createFakeS3()
      await s3.start()
      process.once('SIGTERM', () => {
        s3.close().finally(() => process.exit(0))
      })
      await serve(s3.server)
      return true
    }
    case '--dev-server':
      await runDevServer(arg as { port: number; envFile: string; persist: string })
      return true
    case '--baseline': {
      // Load first, copy on "go": the parent samples memory and CPU around the copy only.
      announce({ ready: true })
      await new Promise((resolve) => process.stdin.once('data', resolve))
      announce({ seconds: await runBaseline(arg as BaselineJob) })
      process.exit(0)
      return true
    }
    default:
      return false
  }
}
