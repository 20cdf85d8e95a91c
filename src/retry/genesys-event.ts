import { safeJsonParse } from '../lib/http'
import { callGenesys, type GenesysCall } from '../providers/genesys/client'
import { providerOutcome } from './outbound'
import type { RetryHandler } from './types'

/** Retry of a stored `genesys_event` (a receipt or a customer's message): post the same call again. */
export const retryGenesysEvent: RetryHandler = async ({ deps, tenant, row }) => {
  const call = safeJsonParse(row.event_body) as Partial<GenesysCall> | undefined
  if (!call || (call.kind !== 'receipt' && call.kind !== 'message') || typeof call.body !== 'object') {
    return { result: 'dead', error: 'stored body is not a Genesys call', httpStatus: null, attempted: false }
  }
  const result = await callGenesys(deps, tenant, call as GenesysCall)
  if (result.ok) return { result: 'done', detail: `Genesys answered ${result.value}` }
  return providerOutcome(result.error)
}
