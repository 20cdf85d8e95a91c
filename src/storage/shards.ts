import { LOGICAL_SHARDS } from '../config/shards'

/**
 * Sharding of the hot tables (docs/scaling.md, "Shards"): a key (a send's guid, a webhook's event key)
 * hashes to one of 64 fixed logical shards; `d1_shard_map` maps each logical shard to a D1 binding.
 */

const encoder = new TextEncoder()

/** FNV-1a, 32 bits, over the key's UTF-8 bytes: the same on every isolate, release and platform. */
export function fnv1a32(key: string): number {
  let h = 0x811c9dc5
  for (const byte of encoder.encode(key)) {
    h ^= byte
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return h >>> 0
}

export const logicalShardOf = (key: string): number => fnv1a32(key) % LOGICAL_SHARDS

/**
 * The condition a claim statement carries (one `?`: the key's logical shard): the database owns that
 * shard. The home database (`DB`) owns every shard while its `shard_owner` is empty; any other database
 * owns only what its `shard_owner` lists (migration 0015), so a freshly bound database claims nothing.
 */
export const ownsShardSql = (home: boolean): string =>
  home
    ? '(NOT EXISTS (SELECT 1 FROM shard_owner) OR EXISTS (SELECT 1 FROM shard_owner WHERE logical = ?))'
    : 'EXISTS (SELECT 1 FROM shard_owner WHERE logical = ?)'

/** Where a store runs: its database, and whether it is the home database (`DB`). */
export interface ShardPlace {
  db: D1Database
  home: boolean
}

/** The hot tables' databases (docs/scaling.md). `dbFor` routes a key; `all` lists each database once. */
export interface ShardRouter {
  /** The number of distinct databases. */
  count: number
  home: D1Database
  dbFor(key: string): D1Database
  placeFor(key: string): ShardPlace
  all(): ShardPlace[]
  /** The database a row read by a fan-out came from (`tagOrigin`), if it was one. */
  originOf(row: object): D1Database | undefined
  tagOrigin<T extends object>(rows: T[], db: D1Database): T[]
}

/** A router over `bindings[logical]` (binding names) resolved through `resolve`; `DB` is home. */
export function createShardRouter(
  home: D1Database,
  bindings: readonly string[],
  resolve: (binding: string) => D1Database,
): ShardRouter {
  const byLogical = bindings.map(resolve)
  const places: ShardPlace[] = [{ db: home, home: true }]
  for (const db of byLogical) if (!places.some((p) => p.db === db)) places.push({ db, home: false })
  const origins = new WeakMap<object, D1Database>()
  const placeOf = (db: D1Database): ShardPlace => places.find((p) => p.db === db) ?? { db, home: false }
  return {
    count: places.length,
    home,
    dbFor: (key) => byLogical[logicalShardOf(key)] ?? home,
    placeFor: (key) => placeOf(byLogical[logicalShardOf(key)] ?? home),
    all: () => places,
    originOf: (row) => origins.get(row),
    tagOrigin(rows, db) {
      for (const r of rows) origins.set(r, db)
      return rows
    },
  }
}

/** Every key on one database (tests and the default setup). */
export const singleShard = (db: D1Database): ShardRouter =>
  createShardRouter(
    db,
    Array.from({ length: LOGICAL_SHARDS }, () => 'DB'),
    () => db,
  )

/**
 * Statements of the home-only tables (suppressions), marked so a batch on another database runs them on
 * `DB` instead of failing. A shard's batch and the home batch are then two transactions, not one.
 */
const homeStatements = new WeakSet<object>()

export const isHomeStatement = (s: D1PreparedStatement): boolean => homeStatements.has(s)

/** `db`, whose bound statements are marked as home statements (`isHomeStatement`). */
export function markingHome(db: D1Database): D1Database {
  const mark = <S extends object>(s: S): S => {
    homeStatements.add(s)
    return s
  }
  const prepare = (sql: string): D1PreparedStatement => {
    const statement = db.prepare(sql)
    const wrapped = Object.create(statement) as D1PreparedStatement
    wrapped.bind = (...values: unknown[]) => mark(statement.bind(...values))
    return mark(wrapped)
  }
  return {
    prepare,
    batch: (statements) => db.batch(statements.map(unwrapped)),
    exec: (sql) => db.exec(sql),
    dump: () => db.dump(),
    withSession: (c) => db.withSession(c),
  } as D1Database
}

/** A statement prepared through `markingHome` but never bound is its real statement's wrapper. */
const unwrapped = (s: D1PreparedStatement): D1PreparedStatement =>
  Object.hasOwn(s, 'bind') ? (Object.getPrototypeOf(s) as D1PreparedStatement) : s

/**
 * Run `statements` as one batch on `db`; home statements among them (when `db` is not home) run as a
 * second batch on `home`, after the first. The results keep the statements' order.
 */
export async function batchAcross(
  db: D1Database,
  home: D1Database,
  statements: D1PreparedStatement[],
): Promise<D1Result[]> {
  if (db === home || !statements.some(isHomeStatement)) return db.batch(statements)
  const own = statements.filter((s) => !isHomeStatement(s))
  const away = statements.filter(isHomeStatement)
  const ownResults = own.length > 0 ? await db.batch(own) : []
  const awayResults = await home.batch(away.map(unwrapped))
  let i = 0
  let j = 0
  return statements.map((s) => (isHomeStatement(s) ? awayResults[j++] : ownResults[i++]) as D1Result)
}

/**
 * Newest-first merge of per-shard pages: each page is sorted by `compare` (descending order), the
 * result is the first `limit` rows of their union, so a cursor of the last row pages on correctly.
 */
export function mergePages<T>(pages: T[][], compare: (a: T, b: T) => number, limit: number): T[] {
  if (pages.length === 1) return (pages[0] ?? []).slice(0, limit)
  return pages.flat().sort(compare).slice(0, limit)
}
