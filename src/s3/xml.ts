/** The little XML the S3 client needs: S3's few answers we read are flat, so no parser. */

/** The text of the first `<tag>` element; S3's few answers we read are flat enough for this. */
export function xmlText(xml: string, tag: string): string | undefined {
  const m = new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(xml)
  return m?.[1] === undefined ? undefined : xmlUnescape(m[1])
}

/** Text content only: the quotes of an ETag stay as they are, as AWS's SDKs send them. */
export function xmlEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

function xmlUnescape(text: string): string {
  return text
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
}
