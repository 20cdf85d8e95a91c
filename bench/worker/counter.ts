/**
 * Counts the D1 and KV calls one request makes, and how many of them ran one after another.
 *
 * A call is "sequential" when it starts while no other call of its kind is in flight: two queries issued
 * together (`Promise.all`) are one round trip's worth of waiting, a query issued after the previous one
 * returned is another. `rounds` does the same across D1 and KV together. Calls made after the reply
 * (in `ctx.waitUntil`) are counted apart, since the caller does not wait for them.
 *
 * Shared by the benchmark's wrapper entry and the binding-call test, so both count the same way.
 */

import { type BindingKind, type CallCounts, zeroCounts } from './counts'

export type { BindingKind, CallCounts }

export class BindingCounter {
  readonly beforeReply = zeroCounts()
  readonly afterReply = zeroCounts()
  private replied = false
  private inFlight = { d1: 0, kv: 0 }

  /** Everything that starts from now on is counted as after the reply. */
  markReplied(): void {
    this.replied = true
  }

  async track<T>(kind: BindingKind, call: () => Promise<T>): Promise<T> {
    const counts = this.replied ? this.afterReply : this.beforeReply
    counts[kind]++
    if (this.inFlight[kind] === 0) counts[kind === 'd1' ? 'd1Sequential' : 'kvSequential']++
    if (this.inFlight.d1 + this.inFlight.kv === 0) counts.sequential++
    this.inFlight[kind]++
    try {
      return await call()
    } finally {
      this.inFlight[kind]--
    }
  }
}

/** The counter of the request being served (undefined: do not count). */
export type CurrentCounter = () => BindingCounter | undefined

const tracked = <T>(current: CurrentCounter, kind: BindingKind, call: () => Promise<T>): Promise<T> => {
  const counter = current()
  return counter ? counter.track(kind, call) : call()
}

class CountedStatement {
  constructor(
    readonly inner: D1PreparedStatement,
    private readonly current: CurrentCounter,
  ) {}
  bind(...values: unknown[]): CountedStatement {
    return new CountedStatement(this.inner.bind(...values), this.current)
  }
  first(column?: string): Promise<unknown> {
    return tracked(this.current, 'd1', () =>
      column === undefined ? this.inner.first() : this.inner.first(column),
    )
  }
  run(): Promise<D1Result> {
    return tracked(this.current, 'd1', () => this.inner.run())
  }
  all(): Promise<D1Result> {
    return tracked(this.current, 'd1', () => this.inner.all())
  }
  raw(options?: { columnNames?: boolean }): Promise<unknown[]> {
    return tracked(this.current, 'd1', () => this.inner.raw(options as { columnNames: true }))
  }
}

const unwrap = (s: D1PreparedStatement): D1PreparedStatement => (s instanceof CountedStatement ? s.inner : s)

/** `db` with every query, batch and exec counted against the current request's counter. */
export function countD1(db: D1Database, current: CurrentCounter): D1Database {
  const counted = {
    prepare: (query: string) => new CountedStatement(db.prepare(query), current),
    batch: (statements: D1PreparedStatement[]) =>
      tracked(current, 'd1', () => db.batch(statements.map(unwrap))),
    exec: (query: string) => tracked(current, 'd1', () => db.exec(query)),
    dump: () => db.dump(),
    withSession: () => {
      throw new Error('withSession is not counted by the benchmark wrapper')
    },
  }
  return counted as unknown as D1Database
}

/** `kv` with every method call counted against the current request's counter. */
export function countKV(kv: KVNamespace, current: CurrentCounter): KVNamespace {
  return new Proxy(kv, {
    get(target, name) {
      const value = Reflect.get(target, name) as unknown
      if (typeof value !== 'function') return value
      return (...args: unknown[]) =>
        tracked(current, 'kv', () => (value as (...a: unknown[]) => Promise<unknown>).apply(target, args))
    },
  })
}
