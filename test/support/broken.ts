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

/** A D1 message for an answer lost after the work was done (a retry is allowed: it is transient). */
export const D1_CONNECTION_LOST = 'D1_ERROR: Network connection lost.'

/**
 * The real D1, except that the first execution whose SQL matches `pattern` (a statement's run/first/
 * all/raw, or a batch whose first statement matches) is applied to the database and then rejects with
 * `message`: the write committed, only its answer was lost. `hits()` counts the matching executions.
 */
export function answerLostD1(pattern: RegExp, message = D1_CONNECTION_LOST) {
  const db = env.DB
  let hits = 0
  const sqlOf = new WeakMap<object, string>()
  const real = new WeakMap<object, D1PreparedStatement>()
  const gate = async <T>(sql: string | undefined, go: () => Promise<T>): Promise<T> => {
    if (!sql || !pattern.test(sql)) return go()
    const result = await go()
    if (++hits === 1) throw new Error(message)
    return result
  }
  const wrap = (statement: D1PreparedStatement, sql: string): D1PreparedStatement => {
    const wrapped: any = {
      bind: (...values: unknown[]) => wrap(statement.bind(...values), sql),
      run: () => gate(sql, () => statement.run()),
      first: (column?: string) => gate(sql, () => (column ? statement.first(column) : statement.first())),
      all: () => gate(sql, () => statement.all()),
      raw: (options?: any) => gate(sql, () => statement.raw(options)),
    }
    real.set(wrapped, statement)
    sqlOf.set(wrapped, sql)
    return wrapped as D1PreparedStatement
  }
  const lossy = {
    prepare: (sql: string) => wrap(db.prepare(sql), sql),
    batch: (statements: D1PreparedStatement[]) =>
      gate(statements[0] ? sqlOf.get(statements[0]) : undefined, () =>
        db.batch(statements.map((s) => real.get(s) ?? s)),
      ),
    exec: (sql: string) => db.exec(sql),
    dump: () => db.dump(),
    withSession: () => db.withSession(),
  } as unknown as D1Database
  return { db: lossy, hits: () => hits }
}

/**
 * The real D1, except that every `batch()` runs with one more statement at its end that fails (a table
 * that does not exist): the batch's own statements ran inside its transaction, which D1 then rolls back.
 * Proves "all or nothing" against the database itself. Single statements run as they would.
 */
export function failingBatchD1(): D1Database {
  const db = env.DB
  return {
    prepare: (sql: string) => db.prepare(sql),
    batch: (statements: D1PreparedStatement[]) =>
      db.batch([...statements, db.prepare('INSERT INTO no_such_table_simulated_failure VALUES (1)')]),
    exec: (sql: string) => db.exec(sql),
    dump: () => db.dump(),
    withSession: () => db.withSession(),
  } as unknown as D1Database
}
