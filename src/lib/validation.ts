import type * as z from 'zod/mini'
import { AppError } from './app-error'

/**
 * A zod failure → 400 VALIDATION_FAILED naming every bad field (`date.generatedTimestamp: …`). The
 * messages describe expected types; input values are never echoed.
 */
export function validationError(error: { issues: readonly z.core.$ZodIssue[] }, prefix = ''): AppError {
  const fields = error.issues.map((i) => `${prefix}${i.path.map(String).join('.')}` || '(body)')
  const detail = error.issues
    .slice(0, 10)
    .map((i) => `${prefix}${i.path.map(String).join('.') || '(body)'}: ${describeIssue(i)}`)
    .join('; ')
  return new AppError('VALIDATION_FAILED', `Invalid request: ${detail}`, {
    details: { fields: [...new Set(fields)] },
  })
}

function describeIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      // `expected()` schemas (config/coerce.ts) already say "is required" for a missing value.
      return issue.message.includes('received undefined') || issue.message === 'is required'
        ? 'is required'
        : `must be ${issue.expected}`
    case 'too_small':
      return issue.origin === 'string' ? 'must not be empty' : 'is too small'
    case 'too_big':
      return 'is too long'
    case 'invalid_value':
      return 'has an unexpected value'
    default:
      return 'is invalid'
  }
}
