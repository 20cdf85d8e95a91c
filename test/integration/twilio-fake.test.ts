import { describe, expect, it } from 'vitest'
import { fakes } from '../support/worker'

// The fake is only useful if it refuses what real Twilio refuses: these checks keep it honest.
describe('the fake Twilio enforces the CreateMessage contract', () => {
  const account = () => `AC${crypto.randomUUID().replaceAll('-', '')}`
  async function create(
    form: string | URLSearchParams,
    o: { auth?: string | null; type?: string; sid?: string } = {},
  ) {
    const sid = o.sid ?? account()
    const res = await fetch(`${fakes().twilio}/2010-04-01/Accounts/${sid}/Messages.json`, {
      method: 'POST',
      headers: {
        'content-type': o.type ?? 'application/x-www-form-urlencoded',
        ...(o.auth === null ? {} : { authorization: o.auth ?? `Basic ${btoa(`${sid}:twilio-test`)}` }),
      },
      body: form.toString(),
    })
    return { status: res.status, body: (await res.json()) as any }
  }
  const valid = { To: '+12125550147', From: '+18885550100', Body: 'Hi' }

  it('answers 201 with a realistic message resource', async () => {
    const form = new URLSearchParams({ ...valid, StatusCallback: 'https://c.example.com/s' })
    form.append('MediaUrl', 'https://cdn.example.com/a.png')
    form.append('MediaUrl', 'https://cdn.example.com/b.png')
    const { status, body } = await create(form)
    expect(status).toBe(201)
    expect(body).toMatchObject({
      sid: expect.stringMatching(/^MM[0-9a-f]{32}$/),
      status: 'queued',
      num_media: '2',
      num_segments: '1',
      direction: 'outbound-api',
      api_version: '2010-04-01',
      error_code: null,
      price: null,
    })
    expect(body.date_created).toMatch(/^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} \+0000$/)
  })

  const refusals: {
    name: string
    form: Record<string, string> | URLSearchParams
    o?: any
    status: number
    code: number
  }[] = [
    { name: 'no Authorization', form: valid, o: { auth: null }, status: 401, code: 20003 },
    {
      name: 'another account in Basic auth',
      form: valid,
      o: { auth: `Basic ${btoa(`${account()}:twilio-x`)}` },
      status: 401,
      code: 20003,
    },
    {
      name: 'an AccountSid that is not AC + 32 hex',
      form: valid,
      o: { sid: 'AC123', auth: `Basic ${btoa('AC123:twilio-x')}` },
      status: 401,
      code: 20003,
    },
    {
      name: 'multipart instead of a form',
      form: valid,
      o: { type: 'multipart/form-data; boundary=x' },
      status: 400,
      code: 21604,
    },
    { name: 'no To', form: { From: '+18885550100', Body: 'Hi' }, status: 400, code: 21604 },
    {
      name: 'neither From nor MessagingServiceSid',
      form: { To: '+12125550147', Body: 'Hi' },
      status: 400,
      code: 21603,
    },
    {
      name: 'neither Body nor MediaUrl nor ContentSid',
      form: { To: '+12125550147', From: '+18885550100' },
      status: 400,
      code: 21619,
    },
    { name: 'a To that is not E.164', form: { ...valid, To: '2125550147' }, status: 400, code: 21211 },
    {
      name: 'a MediaUrl that is not a URL',
      form: { ...valid, MediaUrl: 'cdn.example.com/a.png' },
      status: 400,
      code: 21620,
    },
    {
      name: 'MediaUrl0 instead of a repeated MediaUrl',
      form: { ...valid, MediaUrl0: 'https://cdn.example.com/a.png' },
      status: 400,
      code: 20001,
    },
    {
      name: 'a StatusCallback that is not a URL',
      form: { ...valid, StatusCallback: '/relative' },
      status: 400,
      code: 21609,
    },
    {
      name: 'a StatusCallback host with an underscore',
      form: { ...valid, StatusCallback: 'https://my_host.example.com/s' },
      status: 400,
      code: 21609,
    },
    {
      name: 'a malformed MessagingServiceSid',
      form: { To: '+12125550147', MessagingServiceSid: 'MG123', Body: 'Hi' },
      status: 400,
      code: 20001,
    },
    {
      name: 'To given twice',
      form: new URLSearchParams('To=%2B12125550147&To=%2B12125550148&From=%2B18885550100&Body=x'),
      status: 400,
      code: 20001,
    },
  ]
  for (const r of refusals) {
    it(`refuses ${r.name} (${r.status} ${r.code})`, async () => {
      const form = r.form instanceof URLSearchParams ? r.form : new URLSearchParams(r.form)
      const { status, body } = await create(form, r.o)
      expect(status).toBe(r.status)
      expect(body).toMatchObject({
        code: r.code,
        status: r.status,
        more_info: expect.stringContaining(String(r.code)),
      })
    })
  }

  it('refuses an eleventh MediaUrl', async () => {
    const form = new URLSearchParams(valid)
    for (let i = 0; i < 11; i++) form.append('MediaUrl', `https://cdn.example.com/${i}.png`)
    expect((await create(form)).body.code).toBe(21623)
  })
})

describe('the fake Twilio lists what it created, per the ListMessage contract', () => {
  const sid = `AC${crypto.randomUUID().replaceAll('-', '')}`
  const auth = { authorization: `Basic ${btoa(`${sid}:twilio-test`)}` }
  const url = (query: string) => `${fakes().twilio}/2010-04-01/Accounts/${sid}/Messages.json?${query}`

  it('filters by To and From, newest first, in the ListMessageResponse shape', async () => {
    for (const Body of ['first', 'second']) {
      const res = await fetch(url(''), {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ To: '+12125550147', From: '+18885550100', Body }).toString(),
      })
      expect(res.status).toBe(201)
    }
    const res = await fetch(url('To=%2B12125550147&From=%2B18885550100&PageSize=50'), { headers: auth })
    expect(res.status).toBe(200)
    const body = (await res.json()) as any
    expect(Object.keys(body).sort()).toEqual(
      [
        'end',
        'first_page_uri',
        'messages',
        'next_page_uri',
        'page',
        'page_size',
        'previous_page_uri',
        'start',
        'uri',
      ].sort(),
    )
    expect(body.messages.map((m: any) => m.body)).toEqual(['second', 'first'])
    const none = (await (await fetch(url('To=%2B12125550148'), { headers: auth })).json()) as any
    expect(none.messages).toEqual([])
  })

  it('refuses a query parameter ListMessage does not declare, and a PageSize over 1000', async () => {
    const unknown = await fetch(url('Recipient=%2B12125550147'), { headers: auth })
    expect(unknown.status).toBe(400)
    expect(((await unknown.json()) as any).code).toBe(20001)
    const big = await fetch(url('PageSize=5000'), { headers: auth })
    expect(big.status).toBe(400)
  })
})
