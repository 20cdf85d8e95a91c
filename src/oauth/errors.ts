/** RFC 6749 §5.2 error codes (plus `temporarily_unavailable`, §4.1.2.1, for a missing signing key). */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'server_error'
  | 'temporarily_unavailable'

/** A token-endpoint failure, answered as `{error, error_description}` (never our JSON error body). */
export class OAuthError extends Error {
  constructor(
    readonly status: 400 | 401 | 413 | 500 | 503,
    readonly error: OAuthErrorCode,
    readonly description: string,
  ) {
    super(description)
    this.name = 'OAuthError'
  }

  /** 401 with a Basic challenge (RFC 6749 §5.2: required when the client used the header). */
  static invalidClient(viaHeader: boolean): OAuthError {
    return new OAuthError(
      401,
      'invalid_client',
      viaHeader ? 'Client authentication failed.' : 'Client authentication failed or was missing.',
    )
  }
}
