import type { RawTenantSecret } from './tenant'

export type GenesysNumberIndex =
  | { ok: true; owners: ReadonlyMap<string, string> }
  | { ok: false; issues: string[] }

/** The numbers of a tenant secret's `genesys.numbers`, read without parsing the rest. */
function tenantNumbers(value: unknown): unknown[] {
  const numbers = (value as { genesys?: { numbers?: unknown } } | null)?.genesys?.numbers
  return Array.isArray(numbers) ? numbers : []
}

/**
 * Index every tenant's `genesys.numbers`, so a customer's text to one of them finds its tenant on the
 * global Event Manager route without the identity cache (docs/architecture.md, "Genesys"). A number
 * listed by two tenants could belong to either: that is a configuration error naming the key, never the
 * number.
 */
export function indexGenesysNumbers(tenants: readonly RawTenantSecret[]): GenesysNumberIndex {
  const owners = new Map<string, string>()
  const keys = new Map<string, string>()
  const issues: string[] = []
  for (const [name, tenantId, value] of tenants) {
    tenantNumbers(value).forEach((n, i) => {
      if (typeof n !== 'string' || n === '') return
      const key = `${name}.genesys.numbers.${i}`
      const first = keys.get(n)
      if (first && owners.get(n) !== tenantId) {
        issues.push(`${key}: duplicates the number of ${first}; a Genesys number belongs to one tenant`)
        return
      }
      owners.set(n, tenantId)
      keys.set(n, key)
    })
  }
  return issues.length > 0 ? { ok: false, issues } : { ok: true, owners }
}
