// A small, strict XML reader for the short documents libvirt exchanges (node-device XML): elements,
// attributes, text, CDATA and comments, the five predefined entities and character references. It
// refuses what such a document never needs and what makes XML dangerous to read: a DOCTYPE (so no
// entity is ever defined, let alone expanded), processing instructions other than the leading XML
// declaration, undefined entities, input over MAX_XML_CHARS and nesting deeper than MAX_XML_DEPTH.
// It never recurses, so no input can exhaust the stack.
import { InputError } from '../errors.js';

/** An element: its name, its attributes in document order, its children, and where it starts. */
export interface XmlElement {
  readonly kind: 'element';
  readonly name: string;
  readonly attrs: ReadonlyMap<string, string>;
  readonly children: readonly XmlNode[];
  readonly line: number;
}

/** Character data (text and CDATA sections), with line ends normalised to \n. */
export interface XmlText {
  readonly kind: 'text';
  readonly text: string;
}

export type XmlNode = XmlElement | XmlText;

/** Longest document read, in UTF-16 units: a node-device XML is well under 4 KiB. */
export const MAX_XML_CHARS = 1 << 20;
/** Deepest element nesting read: a node-device XML nests five levels at most. */
export const MAX_XML_DEPTH = 32;

const NAME_START = /[A-Za-z_:]/;
const NAME_CHAR = /[A-Za-z0-9_.:-]/;
// Characters XML 1.0 allows: tab, LF, CR, and everything from U+0020 except surrogates, U+FFFE, U+FFFF.
const BAD_CHAR = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const PREDEFINED: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', apos: "'", quot: '"' };

interface Open { name: string; attrs: Map<string, string>; children: XmlNode[]; line: number }

/** Reads one XML document and returns its root element; an InputError (EINVAL) names `where`, the line and the fix. */
export function readXml(text: string, where: string): XmlElement {
  function fail(at: number, message: string): never {
    const before = text.slice(0, at);
    const line = before.split('\n').length;
    const column = at - before.lastIndexOf('\n');
    throw new InputError({ code: 'EINVAL', input: where, message: `${where}: line ${line}, column ${column}: ${message}` });
  }
  if (text.length > MAX_XML_CHARS) {
    throw new InputError({ code: 'EINVAL', input: where, message: `${where}: ${text.length} characters is more than the ${MAX_XML_CHARS} a node-device XML may have: give the document itself` });
  }
  const bad = BAD_CHAR.exec(text);
  if (bad) fail(bad.index, `character U+${bad[0].charCodeAt(0).toString(16).padStart(4, '0')} is not allowed in XML: remove it`);

  let i = text.startsWith('\ufeff') ? 1 : 0;
  const lineAt = (at: number) => text.slice(0, at).split('\n').length;
  const stack: Open[] = [];
  let root: XmlElement | undefined;

  const readName = (): string => {
    const start = i;
    if (!NAME_START.test(text[i] ?? '')) fail(i, `expected a name, found ${describe(text[i])}`);
    i++;
    while (NAME_CHAR.test(text[i] ?? '')) i++;
    return text.slice(start, i);
  };
  const skipSpace = (): boolean => {
    const start = i;
    while (/[ \t\r\n]/.test(text[i] ?? '')) i++;
    return i > start;
  };
  // Entity and character references, expanded once: never to markup, never recursively.
  const decode = (raw: string, at: number, attribute: boolean): string => {
    const spaced = attribute ? raw.replace(/\r\n|[\t\r\n]/g, ' ') : raw.replace(/\r\n?/g, '\n');
    return spaced.replace(/&([^;&<\s]*);?/g, (ref: string, body: string, offset: number) => {
      const here = at + offset;
      if (!ref.endsWith(';')) fail(here, `"&" starts a reference that has no ";": write &amp; for a literal "&"`);
      const named = PREDEFINED[body];
      if (named !== undefined) return named;
      const num = /^#(?:x([0-9A-Fa-f]{1,6})|([0-9]{1,7}))$/.exec(body);
      if (!num) fail(here, `entity &${body}; is not defined: only &lt; &gt; &amp; &apos; &quot; and character references are read (zmdev never reads a DTD)`);
      const code = num[1] !== undefined ? parseInt(num[1], 16) : parseInt(num[2]!, 10);
      const okChar = code === 0x9 || code === 0xa || code === 0xd || (code >= 0x20 && code <= 0xd7ff) || (code >= 0xe000 && code <= 0xfffd) || (code >= 0x10000 && code <= 0x10ffff);
      if (!okChar) fail(here, `character reference &${body}; names a character XML does not allow: remove it`);
      return String.fromCodePoint(code);
    });
  };
  const addChild = (node: XmlNode, at: number) => {
    const parent = stack[stack.length - 1];
    if (parent) parent.children.push(node);
    else if (node.kind === 'element') root = node;
    else if (/[^ \t\r\n]/.test(node.text)) fail(at, 'text outside the root element: a document is one element');
  };

  if (text.startsWith('<?xml', i) && /[ \t\r\n?]/.test(text[i + 5] ?? '')) {
    const end = text.indexOf('?>', i);
    if (end < 0) fail(i, 'the XML declaration has no closing "?>"');
    const decl = text.slice(i, end);
    const enc = /encoding\s*=\s*(["'])([^"']*)\1/.exec(decl);
    if (enc && !/^utf-?8$/i.test(enc[2]!)) fail(i, `encoding "${enc[2]}" is not read: give the document in UTF-8`);
    i = end + 2;
  }

  while (i < text.length) {
    const lt = text.indexOf('<', i);
    const textEnd = lt < 0 ? text.length : lt;
    if (textEnd > i) {
      const raw = text.slice(i, textEnd);
      const cdataEnd = raw.indexOf(']]>');
      if (cdataEnd >= 0) fail(i + cdataEnd, '"]]>" may not appear in text: write ]]&gt;');
      addChild({ kind: 'text', text: decode(raw, i, false) }, i);
      i = textEnd;
      continue;
    }
    if (text.startsWith('<!--', i)) {
      const end = text.indexOf('-->', i + 4);
      if (end < 0) fail(i, 'a comment has no closing "-->"');
      if (text.slice(i + 4, end).includes('--')) fail(i, '"--" may not appear inside a comment');
      i = end + 3;
      continue;
    }
    if (text.startsWith('<![CDATA[', i)) {
      if (stack.length === 0) fail(i, 'a CDATA section outside the root element');
      const end = text.indexOf(']]>', i + 9);
      if (end < 0) fail(i, 'a CDATA section has no closing "]]>"');
      addChild({ kind: 'text', text: text.slice(i + 9, end).replace(/\r\n?/g, '\n') }, i);
      i = end + 3;
      continue;
    }
    if (text.startsWith('<!DOCTYPE', i) || text.startsWith('<!ENTITY', i)) {
      fail(i, 'a DOCTYPE is refused: zmdev never reads a DTD nor expands entities; remove the <!DOCTYPE …> (libvirt writes none)');
    }
    if (text.startsWith('<!', i)) fail(i, `markup ${JSON.stringify(text.slice(i, i + 12))} is not read: only elements, text, CDATA and comments`);
    if (text.startsWith('<?', i)) fail(i, 'a processing instruction is not read here: remove it (only a leading <?xml …?> declaration is allowed)');
    if (text.startsWith('</', i)) {
      const at = i;
      i += 2;
      const name = readName();
      skipSpace();
      if (text[i] !== '>') fail(i, `expected ">" to close </${name}, found ${describe(text[i])}`);
      i++;
      const open = stack.pop();
      if (!open) fail(at, `</${name}> closes an element that was never opened`);
      if (open.name !== name) fail(at, `</${name}> closes <${open.name}> (opened on line ${open.line}): the tags must match`);
      addChild({ kind: 'element', name: open.name, attrs: open.attrs, children: open.children, line: open.line }, at);
      continue;
    }
    // A start tag.
    const at = i;
    if (root !== undefined && stack.length === 0) fail(at, 'a second root element: a document is one element');
    i++;
    const name = readName();
    const attrs = new Map<string, string>();
    for (;;) {
      const spaced = skipSpace();
      if (text.startsWith('/>', i) || text[i] === '>') break;
      if (i >= text.length) fail(at, `<${name} is never closed with ">"`);
      if (!spaced) fail(i, `expected a space before the next attribute of <${name}>, found ${describe(text[i])}`);
      const attrAt = i;
      const attr = readName();
      skipSpace();
      if (text[i] !== '=') fail(i, `attribute ${attr} of <${name}> needs ="value"`);
      i++;
      skipSpace();
      const quote = text[i];
      if (quote !== '"' && quote !== "'") fail(i, `the value of ${attr} must be quoted with ' or "`);
      const end = text.indexOf(quote!, i + 1);
      if (end < 0) fail(i, `the value of ${attr} has no closing ${quote}`);
      const raw = text.slice(i + 1, end);
      if (raw.includes('<')) fail(i + 1 + raw.indexOf('<'), `"<" may not appear in an attribute value: write &lt;`);
      if (attrs.has(attr)) fail(attrAt, `attribute ${attr} appears twice on <${name}>`);
      attrs.set(attr, decode(raw, i + 1, true));
      i = end + 1;
    }
    const line = lineAt(at);
    if (text.startsWith('/>', i)) {
      i += 2;
      if (stack.length + 1 > MAX_XML_DEPTH) fail(at, `elements nested deeper than ${MAX_XML_DEPTH} levels: a node-device XML nests five at most`);
      addChild({ kind: 'element', name, attrs, children: [], line }, at);
    } else {
      i++;
      if (stack.length + 1 > MAX_XML_DEPTH) fail(at, `elements nested deeper than ${MAX_XML_DEPTH} levels: a node-device XML nests five at most`);
      stack.push({ name, attrs, children: [], line });
    }
  }
  const open = stack[stack.length - 1];
  if (open) fail(text.length, `<${open.name}> (opened on line ${open.line}) is never closed`);
  if (!root) fail(text.length, 'no element: the document is empty');
  return root;
}

function describe(c: string | undefined): string {
  return c === undefined ? 'the end of the document' : JSON.stringify(c);
}

/** The element children of an element, in order. */
export function childElements(e: XmlElement): XmlElement[] {
  return e.children.filter((c): c is XmlElement => c.kind === 'element');
}

/** The text of an element, or undefined if it holds elements (text only is what a leaf may hold). */
export function textOf(e: XmlElement): string | undefined {
  if (e.children.some((c) => c.kind === 'element')) return undefined;
  return e.children.map((c) => (c as XmlText).text).join('');
}
