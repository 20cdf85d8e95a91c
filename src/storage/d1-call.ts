import { StorageError } from '../lib/app-error'

/** A SQL condition and its parameters: one store's statement guarded by another store's rows. */
export interface SqlCondition {
  sql: string
  params: unknown[]
}

/**
 * D1 failures that a second attempt a moment later usually does not meet, matched on the message
 * texts D1 uses (https://developers.cloudflare.com/d1/observability/debug-d1/#error-list):
 * "D1 DB is overloaded. Too many requests queued." / "… Requests queued for too long.",
 * "Network connection lost.", "… caused object to be reset", "D1 DB reset because its code was
 * updated.", "… exceeded timeout …", "Cannot resolve D1 DB due to transient issue on remote node.".
 * Anything else (constraint violations, SQL errors, a missing table) fails the same way every time.
 */
const TRANSIENT = [
  /overloaded/i,
  /connection lost/i,
  /\breset\b/i,
  /time ?out|timed out/i,
  /transient issue/i,
]

/** Attempts after the first one, inside the same request (docs/storage.md: up to twice, with jitter). */
const RETRIES = 2
/** Base pause before retry n (ms); each is jittered to 50–150 % so concurrent requests spread out. */
const PAUSES_MS = [50, 150]

function messagesOf(e: unknown): string {
  const parts: string[] = []
  for (let cur = e, depth = 0; cur && depth < 4; depth++) {
    parts.push(cur instanceof Error ? cur.message : String(cur))
    cur = cur instanceof Error ? cur.cause : undefined
  }
  return parts.join(' | ')
}

/** Whether a D1 error is one a retry can get past (overload, reset, timeout, lost connection). */
export const isTransientD1Error = (e: unknown): boolean => {
  const text = messagesOf(e)
  return TRANSIENT.some((p) => p.test(text))
}

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/**
 * Run one D1 step. A transient failure is retried up to twice after a short jittered pause; when it
 * still fails (or fails for any other reason) a `StorageError` naming `operation` is thrown, which the
 * routes answer with 503 STORAGE_UNAVAILABLE. `fn` gets the attempt number (0 first). A failed
 * statement was usually not applied (D1 runs each statement and batch as one transaction), but a
 * transient error can also be an answer lost after the commit: the claims therefore carry a per-request
 * token and recognise their own row on a retry (docs/storage.md, "Claim tokens"). Other writes retried
 * here are inserts that ignore a conflict or updates to a value; an update that appends (a history
 * entry, an attempt count) may then be applied twice, which changes no answer.
 */
export async function d1Call<T>(operation: string, fn: (attempt: number) => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt)
    } catch (cause) {
      if (attempt >= RETRIES || !isTransientD1Error(cause)) throw new StorageError(operation, cause)
      await pause((PAUSES_MS[attempt] ?? 150) * (0.5 + Math.random()))
    }
  }
}

/** A random token a request writes with its claim, to recognise the claim as its own on a retry. */
export const newClaimToken = (): string => crypto.randomUUID()
