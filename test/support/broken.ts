import { env } from 'cloudflare:workers'

/** Storage bindings that fail every call, to prove the Worker degrades as designed. */
export function brokenD1(): D1Database {
  const fail = () => Promise.reject(new Error('D1_ERROR: simulated outage'))
  const statement: any = { bind: () => statement, run: fail, first: fail, all: fail, raw: fail }
  return {
    prepare: () => statement,
    batch: fail,
    exec: fail,
    dump: fail,
    withSession: () => ({}),
  } as unknown as D1Database
}

export function brokenKv(): KVNamespace {
  const fail = () => Promise.reject(new Error('KV error: simulated outage'))
  return { get: fail, put: fail, delete: fail, list: fail, getWithMetadata: fail } as unknown as KVNamespace
}

/** A D1 message Cloudflare documents for a database that sheds load (a retry can succeed). */
export const D1_OVERLOADED = 'D1_ERROR: D1 DB is overloaded. Too many requests queued.'

/**
 * The real D1, except that the first `failures` executions (run/first/all/raw of any statement, or a
 * batch) reject with `message` without touching the database. `calls()` counts executions, failed
 * ones included, so a test can tell how often the Worker tried.
 */
export function flakyD1(failures: number, message = D1_OVERLOADED) {
  const db = env.DB
  let calls = 0
  const real = new WeakMap<object, D1PreparedStatement>()
  const gate = <T>(go: () => Promise<T>): Promise<T> =>
    ++calls <= failures ? Promise.reject(new Error(message)) : go()
  const wrap = (statement: D1PreparedStatement): D1PreparedStatement => {
    const wrapped: any = {
      bind: (...values: unknown[]) => wrap(statement.bind(...values)),
      run: () => gate(() => statement.run()),
      first: (column?: string) => gate(() => (column ? statement.first(column) : statement.first())),
      all: () => gate(() => statement.all()),
      raw: (options?: any) => gate(() => statement.raw(options)),
    }
    real.set(wrapped, statement)
    return wrapped as D1PreparedStatement
  }
  const flaky = {
    prepare: (sql: string) => wrap(db.prepare(sql)),
    batch: (statements: D1PreparedStatement[]) =>
      gate(() => db.batch(statements.map((s) => real.get(s) ?? s))),
    exec: (sql: string) => gate(() => db.exec(sql)),
    dump: () => db.dump(),
    withSession: () => db.withSession(),
  } as unknown as D1Database
  return { db: flaky, calls: () => calls }
}
