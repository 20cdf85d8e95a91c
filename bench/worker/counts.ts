/** What the binding counter reports for one request (plain data, shared with the Node side). */

export type BindingKind = 'd1' | 'kv'

export interface CallCounts {
  d1: number
  kv: number
  /** D1 calls that started with no other D1 call in flight (a `batch()` is one call). */
  d1Sequential: number
  kvSequential: number
  /** Calls of either kind that started with nothing in flight: the round trips the reply waited for. */
  sequential: number
}

export const zeroCounts = (): CallCounts => ({
  d1: 0,
  kv: 0,
  d1Sequential: 0,
  kvSequential: 0,
  sequential: 0,
})
