/** A configured name for `key` in a name map, never an inherited property (`constructor`…). */
export function ownString(map: Record<string, string>, key: string | undefined): string | undefined {
  if (key === undefined || !Object.hasOwn(map, key)) return undefined
  const value = map[key]
  return typeof value === 'string' && value !== '' ? value : undefined
}
