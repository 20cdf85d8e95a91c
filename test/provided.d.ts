import type { FakeUrls } from './support/constants'

declare module 'vitest' {
  interface ProvidedContext {
    fakes: FakeUrls
  }
}
