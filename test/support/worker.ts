import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { inject } from 'vitest'
import worker from '../../src/index'
import { CI360_CLIENT_SECRETS, FIXTURE_TENANT } from './constants'

export const fakes = () => inject('fakes')

const unique = () => crypto.randomUUID().replaceAll('-', '').slice(0, 16)

/** A tenant with its own keys and tokens, so tests (and test files) never share fake-provider state. */
export interface TestTenant {
  id: string
  apiKey: string
  adminKey: string
  scgToken: string
  /** Path prefix at the fake CI360 gateway (keys its request log). */
  ci360Key: string
  secret: Record<string, unknown>
}

export function testTenant(id: string = FIXTURE_TENANT, overrides: Record<string, unknown> = {}): TestTenant {
  const u = unique()
  const ci360Key = `/ci360-${u}`
  const scgToken = `scg-${u}`
  const secret: Record<string, unknown> = {
    api_keys: [`ci360-key-${u}`],
    admin_api_keys: [`admin-key-${u}`],
    scg_api_url: `${fakes().scg}/scg-external-api/api/v1/messaging/message_requests`,
    scg_access_token: scgToken,
    ci360_api_url: `${fakes().ci360}${ci360Key}/marketingGateway/events`,
    ...(CI360_CLIENT_SECRETS[id]
      ? { ci360_client_secret: CI360_CLIENT_SECRETS[id] }
      : { ci360_token: `ci360-static-${u}` }),
    scg_default_sender: 'channel:DefaultSenderChan000001',
    scg_mo_event: 'Inbound SMS',
    scg_response_event_DELIVERED: 'SMS Delivered',
    scg_response_event_FAILED: 'SMS Failed',
    scg_response_event_CLICKED: 'SMS Clicked',
    scg_response_event_READ: 'SMS Read',
    default_sender: '+18885550199',
    provider_timeout_ms: 1000,
    ...overrides,
  }
  return {
    id,
    apiKey: (secret.api_keys as string[])[0] as string,
    adminKey: ((secret.admin_api_keys as string[] | undefined) ?? [''])[0] as string,
    scgToken: String(secret.scg_access_token),
    ci360Key,
    secret,
  }
}

/** The test env plus these tenants' secrets and extra vars. Reuse one env object across related calls. */
export function envWith(tenants: TestTenant[], vars: Record<string, unknown> = {}): Env {
  const extra: Record<string, unknown> = { ...vars }
  for (const t of tenants) extra[`TENANT_${t.id}`] = JSON.stringify(t.secret)
  return { ...env, ...extra } as Env
}

export interface CallInit {
  method?: string
  body?: unknown
  headers?: Record<string, string>
}

/** Call the whole Worker (its default export) as the runtime would. */
export async function call(testEnv: Env, path: string, init: CallInit = {}): Promise<Response> {
  const body =
    init.body === undefined
      ? undefined
      : typeof init.body === 'string'
        ? init.body
        : JSON.stringify(init.body)
  const request = new Request(`https://connector.example.com${path}`, {
    method: init.method ?? (body === undefined ? 'GET' : 'POST'),
    headers: init.headers,
    body,
  })
  const ctx = createExecutionContext()
  const response = await worker.fetch(request as Request<unknown, IncomingRequestCfProperties>, testEnv, ctx)
  await waitOnExecutionContext(ctx)
  return response
}

/** POST a body to a tenant's SCG messages route with `key` as its API key (any key, any content type). */
export function postScgMessage(
  testEnv: Env,
  key: string,
  body: unknown,
  contentType = 'text/plain;charset=UTF-8',
  tenant: string = FIXTURE_TENANT,
) {
  return call(testEnv, `/v1/tenants/${tenant}/scg/messages`, {
    body,
    headers: { 'x-api-key': key, 'content-type': contentType },
  })
}

/** Read a JSON reply (typed loosely: tests assert on its fields). */
export async function json(res: Response): Promise<Record<string, any>> {
  return (await res.json()) as Record<string, any>
}
