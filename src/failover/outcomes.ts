import type { ProviderId } from '../lib/vocabulary'
import type { UpstreamError } from '../upstream/error'

/**
 * What a provider's answer to a send means for failover (docs/guarantees.md, "Failover"), decided in
 * one place: every provider outcome is one row of `OUTCOMES`, first match wins.
 *
 * - `sent`: the provider took the message.
 * - `final`: every provider would refuse it too (opted out, invalid number, bad content, any other
 *   refusal): never sent elsewhere.
 * - `fail_over`: the provider certainly did not accept it: the next route may send it at once.
 * - `look_up`: it may have been accepted (timeout, a connection cut after the request, 500/502/504):
 *   ask the provider first; only "not found" lets the next route send it.
 *
 * `fault` counts towards the provider's breaker; `alert` is logged as an error for an operator
 * (credentials, credit, a sender not allowed).
 */
export type Verdict = 'sent' | 'final' | 'fail_over' | 'look_up'

export interface OutcomeRow {
  /** What the row matches, as the docs' table says it. */
  case: string
  verdict: Verdict
  fault: boolean
  alert?: boolean
  match(provider: ProviderId, e: UpstreamError): boolean
}

const code = (e: UpstreamError) => e.providerCode?.replace(/^SCG_ERROR_/, '')
const codeIn =
  (codes: Record<ProviderId, string[]>) =>
  (p: ProviderId, e: UpstreamError): boolean =>
    codes[p].includes(code(e) ?? '')

/** The table, in order. `sent` is not a row: a success is always `sent`. */
export const OUTCOMES: readonly OutcomeRow[] = [
  {
    case: 'recipient opted out (Twilio 21610, SCG 1005)',
    verdict: 'final',
    fault: false,
    match: codeIn({ twilio: ['21610'], scg: ['1005'] }),
  },
  {
    case: 'invalid or unreachable number (Twilio 21211, 21614, 21612, 21408; SCG 1002, 4002)',
    verdict: 'final',
    fault: false,
    match: codeIn({ twilio: ['21211', '21614', '21612', '21408'], scg: ['1002', '4002'] }),
  },
  {
    case: 'content refused (Twilio 21619, 21617, 30007; SCG 4001, 4003–4007)',
    verdict: 'final',
    fault: false,
    match: codeIn({
      twilio: ['21619', '21617', '30007'],
      scg: ['4001', '4003', '4004', '4005', '4006', '4007'],
    }),
  },
  {
    case: 'connection refused, DNS or no route: the request never left',
    verdict: 'fail_over',
    fault: true,
    match: (_p, e) => e.kind === 'refused',
  },
  {
    case: 'timeout: the provider may have it',
    verdict: 'look_up',
    fault: true,
    match: (_p, e) => e.kind === 'timeout',
  },
  {
    case: 'connection lost after the request was written',
    verdict: 'look_up',
    fault: true,
    match: (_p, e) => e.status === undefined && e.ambiguous,
  },
  {
    case: 'too many requests (HTTP 429, Twilio 20429): never processed',
    verdict: 'fail_over',
    fault: true,
    match: (p, e) => e.status === 429 || (p === 'twilio' && code(e) === '20429'),
  },
  {
    case: 'credentials, credit or sender refused (HTTP 401/402/403, SCG 4010/4020/4021/4046, Twilio 20003)',
    verdict: 'fail_over',
    fault: true,
    alert: true,
    match: (p, e) =>
      e.status === 401 ||
      e.status === 402 ||
      e.status === 403 ||
      e.kind === 'auth' ||
      codeIn({ twilio: ['20003'], scg: ['4010', '4020', '4021', '4046'] })(p, e),
  },
  {
    case: 'service unavailable (HTTP 503, SCG 5030): not accepted',
    verdict: 'fail_over',
    fault: true,
    match: (_p, e) => e.status === 503,
  },
  {
    case: 'SCG 5001: a refusal SCG calls non-retriable',
    verdict: 'final',
    fault: false,
    match: codeIn({ twilio: [], scg: ['5001'] }),
  },
  {
    case: 'SCG 5000: an internal error before the message was accepted',
    verdict: 'fail_over',
    fault: true,
    match: codeIn({ twilio: [], scg: ['5000'] }),
  },
  {
    case: 'server error (HTTP 500, 502, 504): it may have been accepted',
    verdict: 'look_up',
    fault: true,
    match: (_p, e) => e.status === 500 || e.status === 502 || e.status === 504,
  },
  {
    case: 'any other refusal (other 4xx)',
    verdict: 'final',
    fault: false,
    match: (_p, e) => !e.retryable,
  },
]

/** The row for anything no other row names: an unknown outcome, looked up before anything else. */
export const UNKNOWN_OUTCOME: OutcomeRow = {
  case: 'anything else that may be retried',
  verdict: 'look_up',
  fault: true,
  match: () => true,
}

/** The table's row for one failed send. */
export const classify = (provider: ProviderId, e: UpstreamError): OutcomeRow =>
  OUTCOMES.find((r) => r.match(provider, e)) ?? UNKNOWN_OUTCOME
