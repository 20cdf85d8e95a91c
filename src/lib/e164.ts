/**
 * E.164 as the opt-out list keys numbers: `+`, a non-zero digit, 6–15 digits in all (the identity
 * cache's range, docs/protocols.md). One rule for the list's entries, its operator API and CSV files,
 * the CI360 contact-preference file and the recipient's zones.
 */
export const E164 = /^\+[1-9]\d{5,14}$/

/** The rule as an error message names it. */
export const E164_RULE = 'must be an E.164 number (+ and 6 to 15 digits)'
