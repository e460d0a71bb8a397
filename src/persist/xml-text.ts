// XML text as libvirt reads it: content and attribute values escaped, whatever the quotes.
/** Escapes text for XML content and for attribute values in either kind of quotes. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] as string);
}
