import { readdirSync, readFileSync } from 'node:fs'

/** Linux /proc readings for the benchmark: memory and CPU time of one process. */

/** Clock ticks per second of /proc/<pid>/stat times (100 on Linux). */
const TICKS_PER_SECOND = 100

interface Stat {
  pid: number
  comm: string
  ppid: number
  pgrp: number
  cpuSeconds: number
}

function readStat(pid: number): Stat | undefined {
  let text: string
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return undefined
  }
  const close = text.lastIndexOf(')')
  const comm = text.slice(text.indexOf('(') + 1, close)
  const fields = text.slice(close + 2).split(' ')
  // fields[0] is state; ppid, pgrp follow; utime and stime are fields 14 and 15 of the whole line.
  const utime = Number(fields[11])
  const stime = Number(fields[12])
  return {
    pid,
    comm,
    ppid: Number(fields[1]),
    pgrp: Number(fields[2]),
    cpuSeconds: (utime + stime) / TICKS_PER_SECOND,
  }
}

/** Processes named `comm` in process group `pgrp` (a `setsid`/detached child and its descendants). */
export function findInGroup(pgrp: number, comm: string): number[] {
  const found: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const stat = readStat(Number(entry))
    if (stat && stat.pgrp === pgrp && stat.comm === comm) found.push(stat.pid)
  }
  return found
}

/** Resident set size now and its high-water mark, in bytes. */
export function memoryOf(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') }
}

/** CPU seconds (user + system) of these processes together. */
export const cpuSecondsOf = (pids: number[]): number =>
  pids.reduce((sum, pid) => sum + (readStat(pid)?.cpuSeconds ?? 0), 0)

/** RSS of these processes together, in bytes (0 for one that has ended). */
function totalRss(pids: number[]): number {
  let total = 0
  for (const pid of pids) {
    try {
      total += memoryOf(pid).rss
    } catch {
      // the process ended
    }
  }
  return total
}

/** Samples the processes' total RSS every `everyMs` until stopped; reports the peak and the start. */
export function sampleMemory(pids: number[], everyMs = 20) {
  const startRss = totalRss(pids)
  let peak = startRss
  const timer = setInterval(() => {
    peak = Math.max(peak, totalRss(pids))
  }, everyMs)
  return {
    stop() {
      clearInterval(timer)
      peak = Math.max(peak, totalRss(pids))
      return { startRss, peakRss: peak, growth: peak - startRss }
    },
  }
}

/** Processes named `comm` whose parent is `ppid` (e.g. the workerd that Miniflare starts). */
export function findChildren(ppid: number, comm: string): number[] {
  const found: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const stat = readStat(Number(entry))
    if (stat && stat.ppid === ppid && stat.comm === comm) found.push(stat.pid)
  }
  return found
}
