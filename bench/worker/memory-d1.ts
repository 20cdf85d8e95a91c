import initSqlJs, { type BindParams, type Database, type SqlValue, type Statement } from 'sql.js'

/**
 * An in-memory D1 stand-in for the benchmark: SQLite compiled to WebAssembly (sql.js) running inside the
 * Worker's isolate, behind the D1Database methods the connector uses. It executes the connector's real SQL
 * against the real migrations, so the answers (claims won or lost, rows found) are what D1 would give.
 *
 * What it costs: SQLite's own work runs on the Worker's thread, so its CPU is counted with the Worker's
 * (D1 runs it on the database's primary, not in the isolate). The CPU profile attributes it apart
 * (WebAssembly frames), so it can be subtracted.
 *
 * `queryMs` > 0 models a D1 database's single thread: every query holds the database for that long
 * (a timer, not CPU), one query at a time, so one database serves at most 1000 / queryMs queries/s.
 */

type Sql = Awaited<ReturnType<typeof initSqlJs>>

let sqlModule: Promise<Sql> | undefined

/** Load SQLite once per isolate from the WebAssembly module the entry imports. */
export function loadSql(wasm: WebAssembly.Module): Promise<Sql> {
  sqlModule ??= initSqlJs({
    instantiateWasm: (imports: WebAssembly.Imports, done: (instance: WebAssembly.Instance) => void) => {
      WebAssembly.instantiate(wasm, imports).then(done)
      return {}
    },
  } as Parameters<typeof initSqlJs>[0])
  return sqlModule
}

const toSql = (v: unknown): SqlValue => {
  if (v === undefined) throw new Error('D1_TYPE_ERROR: undefined is not a supported bind value')
  if (typeof v === 'boolean') return v ? 1 : 0
  if (v instanceof ArrayBuffer) return new Uint8Array(v)
  return v as SqlValue
}

export class MemoryD1 {
  /** When the modelled database is next free (ms since the epoch). */
  private busyUntil = 0
  /** Queries booked so far (a batch books one per statement): the model's load on this database. */
  booked = 0
  /** Compiled once per SQL text, as D1 caches them: the stand-in should cost as little as it can. */
  private readonly statements = new Map<string, Statement>()
  constructor(
    readonly db: Database,
    private readonly queryMs = 0,
  ) {}

  static async create(wasm: WebAssembly.Module, migrations: string[], queryMs = 0): Promise<MemoryD1> {
    const SQL = await loadSql(wasm)
    const db = new SQL.Database()
    // sql.js keeps its database in an emulated file system; without these every write would also go
    // through the emulation's journal and lock calls, which is the stand-in's cost, not D1's.
    db.exec('PRAGMA journal_mode = MEMORY; PRAGMA synchronous = OFF; PRAGMA locking_mode = EXCLUSIVE')
    for (const m of migrations) db.exec(m)
    return new MemoryD1(db, queryMs)
  }

  /**
   * Run `work` as `queries` queries of a single-threaded database (see the class comment). Each call books
   * the next free slot on the database's clock and waits for its end, so a late timer on a busy machine
   * does not lower the modelled rate.
   */
  serial<T>(queries: number, work: () => T): Promise<T> {
    this.booked += queries
    if (this.queryMs <= 0) return Promise.resolve().then(work)
    const now = Date.now()
    this.busyUntil = Math.max(now, this.busyUntil) + this.queryMs * queries
    const wait = this.busyUntil - now
    return new Promise<T>((resolve, reject) =>
      setTimeout(() => {
        try {
          resolve(work())
        } catch (e) {
          reject(e)
        }
      }, wait),
    )
  }

  /** Execute one statement; rows as objects, and the meta fields the connector reads. */
  execute(sql: string, params: unknown[]): D1Result<Record<string, unknown>> {
    let stmt = this.statements.get(sql)
    if (!stmt) {
      stmt = this.db.prepare(sql)
      this.statements.set(sql, stmt)
    }
    const results: Record<string, unknown>[] = []
    try {
      stmt.bind(params.map(toSql) as BindParams)
      while (stmt.step()) results.push(stmt.getAsObject())
    } finally {
      stmt.reset()
    }
    const changes = this.db.getRowsModified()
    return {
      results,
      success: true,
      meta: {
        duration: 0,
        size_after: 0,
        rows_read: results.length,
        rows_written: changes,
        last_row_id: 0,
        changed_db: changes > 0,
        changes,
      },
    } as D1Result<Record<string, unknown>>
  }

  prepare(sql: string): MemoryStatement {
    return new MemoryStatement(this, sql, [])
  }

  batch(statements: D1PreparedStatement[]): Promise<D1Result[]> {
    const list = statements as unknown as MemoryStatement[]
    return this.serial(list.length, () => {
      this.db.exec('BEGIN')
      try {
        const out = list.map((s) => this.execute(s.sql, s.params))
        this.db.exec('COMMIT')
        return out
      } catch (e) {
        this.db.exec('ROLLBACK')
        throw e
      }
    })
  }

  exec(sql: string): Promise<D1ExecResult> {
    return this.serial(1, () => {
      this.db.exec(sql)
      return { count: 1, duration: 0 }
    })
  }

  asBinding(): D1Database {
    return this as unknown as D1Database
  }
}

class MemoryStatement {
  constructor(
    private readonly d1: MemoryD1,
    readonly sql: string,
    readonly params: unknown[],
  ) {}
  bind(...values: unknown[]): MemoryStatement {
    return new MemoryStatement(this.d1, this.sql, values)
  }
  all(): Promise<D1Result> {
    return this.d1.serial(1, () => this.d1.execute(this.sql, this.params))
  }
  run(): Promise<D1Result> {
    return this.all()
  }
  async first(column?: string): Promise<unknown> {
    const row = (await this.all()).results[0] as Record<string, unknown> | undefined
    if (!row) return null
    return column === undefined ? row : row[column]
  }
  async raw(options?: { columnNames?: boolean }): Promise<unknown[]> {
    const rows = (await this.all()).results as Record<string, unknown>[]
    const values = rows.map((r) => Object.values(r))
    return options?.columnNames ? [Object.keys(rows[0] ?? {}), ...values] : values
  }
}
