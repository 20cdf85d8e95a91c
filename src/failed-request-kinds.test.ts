import { describe, expect, it } from 'vitest'
import { failedRequestKinds } from './failed-request-kinds'
import { FAILED_REQUEST_KINDS } from './lib/vocabulary'
import type { FailedRequestRow } from './storage/failed-requests'

const row = (kind: FailedRequestRow['kind'], guid: string) => ({ kind, guid }) as FailedRequestRow

describe('the failed-request kind registry', () => {
  it('has hooks for every kind, and only the providers are outbound sends', () => {
    expect(Object.keys(failedRequestKinds).sort()).toEqual([...FAILED_REQUEST_KINDS].sort())
    const outbound = FAILED_REQUEST_KINDS.filter((k) => failedRequestKinds[k].outbound)
    expect(outbound).toEqual(['scg', 'twilio'])
  })

  it('tracks a Genesys send and every passed-on event on its webhook event, not a CI360 send', () => {
    expect(failedRequestKinds.scg.tracked(row('scg', 'genesys:m-1'))).toBe(true)
    expect(failedRequestKinds.twilio.tracked(row('twilio', 'ci360-guid-1'))).toBe(false)
    expect(failedRequestKinds.ci360_event.tracked(row('ci360_event', 'scg:e1'))).toBe(true)
    expect(failedRequestKinds.genesys_event.tracked(row('genesys_event', 'receipt:m-1'))).toBe(true)
  })
})
