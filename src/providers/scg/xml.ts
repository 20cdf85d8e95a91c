import { parseXml, XmlElement } from '@rgrove/parse-xml'
import { AppError } from '../../lib/app-error'

/** `application/xml`, `text/xml` and any `+xml` media type. */
export function isXmlContentType(contentType: string | undefined): boolean {
  const mediaType = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? ''
  return mediaType === 'application/xml' || mediaType === 'text/xml' || mediaType.endsWith('+xml')
}

/**
 * Markup declarations (`<!DOCTYPE`, `<!ENTITY`, `<!ELEMENT`, `<!ATTLIST`, `<!NOTATION`) are refused
 * before parsing, so no entity is ever declared, let alone expanded (no billion laughs, no external
 * entities). Comments (`<!--`) and CDATA sections stay allowed.
 */
const DECLARATION = /<!(?!--|\[CDATA\[)/

/** The envelope is three levels deep; anything much deeper is not a delivery. */
const MAX_DEPTH = 16

const invalidXml = (message: string, cause?: unknown) =>
  new AppError('INVALID_XML', message, cause === undefined ? {} : { cause })

/**
 * Parse an XML delivery into plain objects: elements become keys, an element without child elements
 * becomes its text (an empty element is ""), repeated elements become arrays, attributes are ignored.
 * Only the predefined XML entities and character references are decoded. The content of the (single)
 * root element is returned. Malformed XML or any DTD → 400 `INVALID_XML`.
 */
export function parseXmlDocument(text: string): unknown {
  if (text.trim() === '') throw invalidXml('Request body is empty; expected an XML document.')
  if (DECLARATION.test(text)) {
    throw invalidXml('XML with a DOCTYPE, DTD or entity declaration is not accepted.')
  }
  let root: XmlElement | null
  try {
    root = parseXml(text).root
  } catch (cause) {
    // The parser's message quotes the document, so only the position is passed on. A stack overflow
    // (absurd nesting) lands here too.
    const at = cause as { line?: unknown; column?: unknown }
    const where = typeof at.line === 'number' ? ` (line ${at.line}, column ${at.column})` : ''
    throw invalidXml(`Request body is not well-formed XML${where}.`, cause)
  }
  if (!root) throw invalidXml('The XML document has no root element.')
  return elementValue(root, 0)
}

function elementValue(element: XmlElement, depth: number): unknown {
  const children = element.children.filter((c): c is XmlElement => c instanceof XmlElement)
  if (children.length === 0) return element.text
  if (depth >= MAX_DEPTH) throw invalidXml(`XML nested deeper than ${MAX_DEPTH} levels is not accepted.`)
  const out = new Map<string, unknown>()
  for (const child of children) {
    const value = elementValue(child, depth + 1)
    const seen = out.get(child.name)
    if (!out.has(child.name)) out.set(child.name, value)
    else if (Array.isArray(seen)) seen.push(value)
    else out.set(child.name, [seen, value])
  }
  // fromEntries defines own properties, so even a `__proto__` element cannot touch a prototype.
  return Object.fromEntries(out)
}
