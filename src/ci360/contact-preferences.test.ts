import { describe, expect, it } from 'vitest'
import { contactPreferenceCsv, gatewayOf } from './contact-preferences'

describe('gatewayOf', () => {
  it('is ci360_api_url without /marketingGateway/events', () => {
    expect(gatewayOf('https://extapigwservice-eu-prod.ci360.sas.com/marketingGateway/events')).toBe(
      'https://extapigwservice-eu-prod.ci360.sas.com',
    )
    expect(gatewayOf('http://127.0.0.1:8792/ci360-ab/marketingGateway/events/')).toBe(
      'http://127.0.0.1:8792/ci360-ab',
    )
  })

  it('is unknown for a URL that is not the events endpoint', () => {
    expect(gatewayOf('https://gw.example.com/marketingGateway/bulkEventsFileLocation')).toBeUndefined()
    expect(gatewayOf('https://gw.example.com/marketingGateway/events?x=1')).toBeUndefined()
    expect(gatewayOf('not a url')).toBeUndefined()
  })
})

describe('contactPreferenceCsv', () => {
  it("writes SAS's header and one sms_id row per number, LF line ends", () => {
    expect(
      contactPreferenceCsv([
        { address: '+15551234567', optOut: true },
        { address: '+447700900123', optOut: false },
      ]),
    ).toBe(
      'identity_type,identity_value,preference_type,preference_value\n' +
        'sms_id,+15551234567,OPT-OUT,true\n' +
        'sms_id,+447700900123,OPT-OUT,false\n',
    )
  })

  it('leaves out what is not an E.164 number (nothing that could break a CSV line)', () => {
    expect(
      contactPreferenceCsv([
        { address: '+1555,1234567', optOut: true },
        { address: '15551234567', optOut: true },
      ]),
    ).toBe('identity_type,identity_value,preference_type,preference_value\n')
  })
})
