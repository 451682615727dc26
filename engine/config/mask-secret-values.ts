/**
 * A configuration file's text with every secret in it replaced by asterisks of the same length, for
 * code frames: a frame shows the lines around a problem, and a literal secret on one of them (the
 * mistake CONFIG_LITERAL_SECRET reports, or a second literal on the same line) must not be printed.
 * Masked: the value of every secret field that is not a reference (`${env:…}`/`${file:…}` stay
 * readable) and the `user:password@` part of any URL. Columns are kept, so carets still line up.
 */
import { isAlias, isCollection, isPair, isScalar, parseAllDocuments, visit, type Document } from 'yaml';
import { isSecretReference } from './interpolate-references.js';

const URL_CREDENTIALS = /\b[a-z][a-z0-9+.-]*:\/\/([^\s/?#@'"]+)@/gi;

function maskRange(chars: string[], start: number, end: number): void {
  for (let i = start; i < end && i < chars.length; i++) {
    if (chars[i] !== '\n' && chars[i] !== '\r') chars[i] = '*';
  }
}

/**
 * Secret-field values as YAML sees them: every scalar under a secret key, unless a reference. An
 * alias (`secret_access_key: *k`) is masked and so is what it points to (`&k LITERAL`), which a
 * frame around the anchor's line would otherwise show.
 */
function secretRanges(text: string, secretKeys: ReadonlySet<string>): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  const followed = new Set<unknown>();
  const collect = (node: unknown, doc: Document.Parsed): void => {
    if (isAlias(node)) {
      if (node.range) ranges.push([node.range[0], node.range[1]]);
      const target = node.resolve(doc);
      if (target !== undefined && !followed.has(target)) {
        followed.add(target);
        collect(target, doc);
      }
    } else if (isScalar(node) && node.range) {
      if (!(typeof node.value === 'string' && isSecretReference(node.value))) {
        ranges.push([node.range[0], node.range[1]]);
      }
    } else if (isCollection(node)) {
      for (const item of node.items) collect(isPair(item) ? item.value : item, doc);
    }
  };
  const docs = parseAllDocuments(text);
  for (const doc of Array.isArray(docs) ? docs : []) {
    visit(doc, {
      Pair(_key, pair) {
        if (isScalar(pair.key) && secretKeys.has(String(pair.key.value))) collect(pair.value, doc);
      },
    });
  }
  return ranges;
}

/**
 * Where YAML could not make sense of the text (a syntax error is what is being shown), a line-level
 * look for `secret_key: value` (block or flow style) still finds literals.
 */
function secretRangesByLine(text: string, secretKeys: ReadonlySet<string>): Array<[number, number]> {
  if (!secretKeys.size) return [];
  const keys = [...secretKeys].map((k) => k.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
  const value = String.raw`(\$\{[^}\r\n]*\}?|"[^"\r\n]*"?|'[^'\r\n]*'?|[^\s,}#][^,}#\r\n]*)`;
  const pattern = new RegExp(String.raw`(?:^|[\s{,])["']?(?:${keys})["']?[ \t]*:[ \t]*` + value, 'gm');
  const ranges: Array<[number, number]> = [];
  for (const match of text.matchAll(pattern)) {
    const value = (match[1] ?? '').trimEnd();
    if (isSecretReference(value.replace(/^(["'])(.*)\1$/, '$2'))) continue;
    const start = (match.index ?? 0) + match[0].length - (match[1] ?? '').length;
    ranges.push([start, start + value.length]);
  }
  return ranges;
}

/** The text with secret values and URL credentials masked (offsets are UTF-16 units, as yaml's). */
export function maskSecretValues(text: string, secretKeys: ReadonlySet<string>): string {
  const units = text.split('');
  for (const [start, end] of [...secretRanges(text, secretKeys), ...secretRangesByLine(text, secretKeys)]) {
    maskRange(units, start, end);
  }
  for (const match of text.matchAll(URL_CREDENTIALS)) {
    const userinfo = match[1] ?? '';
    const start = (match.index ?? 0) + match[0].length - userinfo.length - 1;
    maskRange(units, start, start + userinfo.length);
  }
  return units.join('');
}
