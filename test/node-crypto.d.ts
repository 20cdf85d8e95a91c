// The Workers runtime provides `node:crypto` (nodejs_compat); the Genesys tests sign with it as an
// implementation independent of the WebCrypto code under test. Only what they call is declared.
declare module 'node:crypto' {
  interface Hmac {
    update(data: string, encoding: 'utf8'): Hmac
    update(data: Uint8Array): Hmac
    digest(encoding: 'base64' | 'hex'): string
  }
  interface Hash {
    update(data: Uint8Array): Hash
    digest(encoding: 'hex'): string
  }
  export function createHmac(algorithm: 'sha1' | 'sha256', key: string): Hmac
  export function createHash(algorithm: 'sha256'): Hash
}
