/**
 * Values shared by the Node side (fakes, vitest config) and the Worker side (tests). Plain data only.
 */

/** The tenant of the shared fixtures (`externalTenantId`). */
export const FIXTURE_TENANT = '6b1f0e2a9c4d30018e7a52c4'
/** A second tenant, for cross-tenant checks. */
export const OTHER_TENANT = '9a8b7c6d5e4f30012a3b4c5d'

/** CI360 client secrets the fake gateway trusts, by tenant (it verifies the JWT against them). */
export const CI360_CLIENT_SECRETS: Record<string, string> = {
  [FIXTURE_TENANT]: 'FixtureTenantClientSecretForTestsOnly0123456',
  [OTHER_TENANT]: 'OtherTenantClientSecretForTestsOnly012345678',
  '0123456789abcdef01234567': 'ExampleClientSecretForTestsOnly0123456789AB',
}

/** Static CI360 tokens (the Lambda's `ci360_token`) the fake gateway accepts start with this. */
export const CI360_STATIC_TOKEN_PREFIX = 'ci360-static-'

/** The key pair the local S3 server accepts; a request signed with any other secret gets 403. */
export const S3_ACCESS_KEY_ID = 'AKIAFAKEBULKTEST0001'
export const S3_SECRET_ACCESS_KEY = 'fakeBulkTestSecret/0123456789abcdefghijKLMN'
/** Access key id → secret, for the local S3 server's signature checks. */
export const S3_CREDENTIALS: Record<string, string> = { [S3_ACCESS_KEY_ID]: S3_SECRET_ACCESS_KEY }
/** The region the local S3 server expects in signatures. */
export const S3_REGION = 'us-east-1'

/** URLs of the fakes, provided to the tests by the global setup. */
export interface FakeUrls {
  scg: string
  ci360: string
  twilio: string
  /** Local S3-compatible server (s3rver behind a SigV4-verifying front); path-style endpoint. */
  s3: string
  /** Serves generated and fixture files for bulk copies, with or without Range support. */
  source: string
  /** Genesys Cloud (OAuth token endpoint and the Open Messaging inbound API), keyed by path prefix. */
  genesys: string
}
