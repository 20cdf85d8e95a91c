// Modules the benchmark's wrapper entry imports that the Workers types do not describe.
declare module '*.wasm' {
  const module: WebAssembly.Module
  export default module
}

declare module 'node:async_hooks' {
  export class AsyncLocalStorage<T> {
    getStore(): T | undefined
    run<R>(store: T, fn: () => R): R
  }
}
