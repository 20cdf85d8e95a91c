// The Workers runtime provides `node:querystring` (nodejs_compat); the signature test uses it to build the
// URL spelling Twilio's helper library re-encodes. Only what that test calls is declared.
declare module 'node:querystring' {
  export function parse(query: string): Record<string, string | string[]>
  export function stringify(value: Record<string, string | string[]>): string
}
