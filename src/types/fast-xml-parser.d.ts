// The parser and validator modules of fast-xml-parser, imported on their own so the bundle does not
// carry the XML builder the package entry also loads (the package has no `exports` map, so these
// paths are public). Types are the package's own.
declare module 'fast-xml-parser/src/xmlparser/XMLParser' {
  import type { XMLParser } from 'fast-xml-parser'

  const Parser: typeof XMLParser
  export default Parser
}

declare module 'fast-xml-parser/src/validator' {
  import type { XMLValidator } from 'fast-xml-parser'
  export const validate: typeof XMLValidator.validate
}
