import { writeFileSync } from 'node:fs'
import WebSocket from 'ws'

/**
 * A CPU profile of the Worker's isolate through workerd's inspector (the Chrome DevTools protocol), and
 * where its samples fall: by source module of the bundle (the unminified build marks each module with a
 * `// src/...` comment), WebAssembly (the in-memory D1 stand-in), and the runtime's own buckets.
 */

interface CallFrame {
  functionName: string
  url: string
  lineNumber: number
}
interface ProfileNode {
  id: number
  callFrame: CallFrame
  children?: number[]
}
export interface CpuProfile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

/** Record a profile while `during` runs. */
export async function recordProfile(inspectorPort: number, during: () => Promise<void>): Promise<CpuProfile> {
  const targets = (await (await fetch(`http://127.0.0.1:${inspectorPort}/json/list`)).json()) as {
    id: string
    webSocketDebuggerUrl?: string
  }[]
  const target = targets.find((t) => t.id.includes('connector')) ?? targets[0]
  if (!target) throw new Error('no inspector target')
  const ws = new WebSocket(target.webSocketDebuggerUrl ?? `ws://127.0.0.1:${inspectorPort}/${target.id}`)
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject))
  let next = 0
  const pending = new Map<number, (r: unknown) => void>()
  ws.on('message', (data) => {
    const msg = JSON.parse(String(data)) as { id?: number; result?: unknown }
    if (msg.id !== undefined) pending.get(msg.id)?.(msg.result)
  })
  const send = (method: string, params: Record<string, unknown> = {}) =>
    new Promise<unknown>((resolve) => {
      const id = ++next
      pending.set(id, resolve)
      ws.send(JSON.stringify({ id, method, params }))
    })
  await send('Profiler.enable')
  await send('Profiler.setSamplingInterval', { interval: 100 })
  await send('Profiler.start')
  await during()
  const { profile } = (await send('Profiler.stop')) as { profile: CpuProfile }
  ws.close()
  return profile
}

/** Line → module for a bundle whose modules start with esbuild's `// path` comment. */
function moduleLines(source: string): (line: number) => string {
  const starts: [number, string][] = []
  source.split('\n').forEach((text, i) => {
    const m = /^\/\/ ((?:src|node_modules|bench)\/\S+)$/.exec(text)
    if (m?.[1]) starts.push([i, m[1].replace(/^node_modules\/([^/@]+|@[^/]+\/[^/]+)\/.*$/, 'npm:$1')])
  })
  return (line) => {
    let lo = 0
    let hi = starts.length - 1
    let found = '?'
    while (lo <= hi) {
      const mid = (lo + hi) >> 1
      const s = starts[mid] as [number, string]
      if (s[0] <= line) {
        found = s[1]
        lo = mid + 1
      } else hi = mid - 1
    }
    return found
  }
}

export interface ProfileSummary {
  /** Share of busy samples (idle excluded) by module or bucket, self time. */
  modules: { module: string; share: number }[]
  /** Share of busy samples spent inside each function (inclusive), by module:function. */
  functions: { fn: string; share: number }[]
  busyMs: number
}

export function summarise(profile: CpuProfile, sources: Record<string, string>): ProfileSummary {
  const lookups = Object.fromEntries(Object.entries(sources).map(([k, v]) => [k, moduleLines(v)]))
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const self = new Map<number, number>()
  for (const [i, id] of profile.samples.entries())
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0))
  const moduleOf = (f: CallFrame, parent: string): string => {
    if (f.url.startsWith('wasm://')) return 'WebAssembly (sql.js stand-in)'
    if (!f.url) return f.functionName.startsWith('(') ? f.functionName : parent
    const file = Object.keys(lookups).find((k) => f.url.endsWith(k))
    if (!file) return f.url
    const mod = (lookups[file] as (l: number) => string)(f.lineNumber)
    return mod === '?' ? `${file} (wrapper)` : mod
  }
  const modules = new Map<string, number>()
  const inclusive = new Map<string, number>()
  let busy = 0
  const root = profile.nodes[0]
  // Iterative walk: each node's module (natives inherit their caller's) and its subtree time.
  const order: { id: number; mod: string; keys: Set<string> }[] = []
  const stack: { id: number; parentMod: string; keys: Set<string> }[] = root
    ? [{ id: root.id, parentMod: '(root)', keys: new Set() }]
    : []
  while (stack.length) {
    const { id, parentMod, keys } = stack.pop() as { id: number; parentMod: string; keys: Set<string> }
    const node = byId.get(id) as ProfileNode
    const mod = moduleOf(node.callFrame, parentMod)
    const key = `${mod}:${node.callFrame.functionName || '(anonymous)'}`
    const own = new Set(keys)
    own.add(key)
    order.push({ id, mod, keys: own })
    for (const c of node.children ?? []) stack.push({ id: c, parentMod: mod, keys: own })
  }
  for (const { id, mod, keys } of order) {
    const t = self.get(id) ?? 0
    if (mod === '(idle)' || t === 0) continue
    busy += t
    modules.set(mod, (modules.get(mod) ?? 0) + t)
    for (const k of keys) inclusive.set(k, (inclusive.get(k) ?? 0) + t)
  }
  const ranked = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => [k, Math.round((v / busy) * 1000) / 10] as const)
  return {
    modules: ranked(modules).map(([module, share]) => ({ module, share })),
    functions: ranked(inclusive)
      .filter(([k]) => !k.startsWith('(root)'))
      .map(([fn, share]) => ({ fn, share })),
    busyMs: Math.round(busy / 1000),
  }
}

export function saveProfile(file: string, profile: CpuProfile): void {
  writeFileSync(file, JSON.stringify(profile))
}
