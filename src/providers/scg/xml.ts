import { validate } from 'fast-xml-parser/src/validator'
import XMLParser from 'fast-xml-parser/src/xmlparser/XMLParser'
import { AppError } from '../../lib/app-error'

/** `application/xml`, `text/xml` and any `+xml` media type (DESIGN §2.2). */
export function isXmlContentType(contentType: string | undefined): boolean {
  const mediaType = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? ''
  return mediaType === 'application/xml' || mediaType === 'text/xml' || mediaType.endsWith('+xml')
}

/**
 * Markup declarations (`<!DOCTYPE`, `<!ENTITY`, `<!ELEMENT`, `<!ATTLIST`, `<!NOTATION`): refused before
 * parsing, so no entity is ever declared, let alone expanded (no billion laughs, no external entities).
 * Comments (`<!--`) and CDATA sections stay allowed.
 */
const DECLARATION = /<!(?!--|\[CDATA\[)/

const invalidXml = (message: string, cause?: unknown) =>
  new AppError('INVALID_XML', 400, message, cause === undefined ? {} : { cause })

const parser = new XMLParser({
  ignoreAttributes: true,
  // Every value stays text, as in the document ("007" stays "007", a reply "1" stays "1").
  parseTagValue: false,
  trimValues: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  // Only the predefined XML entities and numeric character references exist without a DTD.
  processEntities: true,
  htmlEntities: true,
})

/**
 * Parse an XML delivery into plain objects: elements become keys, leaf elements become strings (an
 * empty element is ""), repeated elements become arrays. Exactly one root element is required; its
 * content is returned. Malformed XML or any DTD → 400 `INVALID_XML`.
 */
export function parseXmlDocument(text: string): unknown {
  if (text.trim() === '') throw invalidXml('Request body is empty; expected an XML document.')
  if (DECLARATION.test(text)) {
    throw invalidXml('XML with a DOCTYPE, DTD or entity declaration is not accepted.')
  }
  const valid = validate(text)
  if (valid !== true) {
    // The validator's message can quote the document, so only its position is passed on.
    throw invalidXml(`Request body is not well-formed XML (line ${valid.err.line}, column ${valid.err.col}).`)
  }
  let doc: unknown
  try {
    doc = parser.parse(text)
  } catch (cause) {
    throw invalidXml('Request body is not well-formed XML.', cause)
  }
  const roots = Object.entries((doc ?? {}) as Record<string, unknown>).filter(([k]) => k !== '#text')
  if (roots.length !== 1) throw invalidXml('An XML delivery must have exactly one root element.')
  return stripText(roots[0]?.[1])
}

/** Drop the whitespace between elements that the parser keeps as `#text` next to child elements. */
function stripText(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripText)
  if (typeof value !== 'object' || value === null) return value
  // fromEntries defines own properties, so even a `__proto__` element could not touch a prototype.
  return Object.fromEntries(
    Object.entries(value)
      .filter(([k]) => k !== '#text')
      .map(([k, v]) => [k, stripText(v)]),
  )
}
