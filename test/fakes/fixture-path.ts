import { existsSync } from 'node:fs'
import path from 'node:path'

/**
 * A file under test/fixtures. Found next to this module when it runs from source (tests, tsx), or from
 * the project root when the fakes are bundled elsewhere (the benchmark bundle in bench/.build).
 */
export function fixturePath(relative: string): string {
  const beside = path.join(import.meta.dirname, '..', 'fixtures', relative)
  return existsSync(beside) ? beside : path.resolve('test', 'fixtures', relative)
}
