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
