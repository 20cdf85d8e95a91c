/**
 * The identity-cache form of a phone number: `+` and its digits (docs/protocols.md, "CI360"). A
 * leading `00` international prefix becomes `+`. Returns undefined for addresses that are not phone
 * numbers (WeChat/Facebook ids, short codes under 6 digits).
 */
export function normalizePhone(address: string): string | undefined {
  let value = address.trim().replace(/^(whatsapp|wa|sms|tel):/i, '')
  if (!/^\+?[\d\s().-]+$/.test(value)) return undefined
  value = value.replace(/[^\d+]/g, '')
  let digits = value.replace(/\D/g, '')
  if (!value.startsWith('+') && digits.startsWith('00')) digits = digits.slice(2)
  if (digits.length < 6 || digits.length > 15) return undefined
  return `+${digits}`
}
