/**
 * JSON pointer → YAML node → file:line:col. Schema errors are reported by ajv as JSON pointers into
 * the parsed value; users need the position in the file they wrote.
 */
import { isMap, isPair, isScalar, isSeq, type Document, type LineCounter, type Node, type Pair } from 'yaml';
import type { SourceLocation } from '../errors/problem.js';

export type PointerTarget = 'value' | 'key';

export function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'));
}

export function joinPointer(parts: readonly (string | number)[]): string {
  return parts.map((p) => '/' + String(p).replace(/~/g, '~0').replace(/\//g, '~1')).join('');
}

interface Found {
  node: Node | undefined;
  pair: Pair | undefined;
}

function walk(doc: Document, parts: readonly string[]): Found {
  let node: unknown = doc.contents;
  let pair: Pair | undefined;
  for (const part of parts) {
    if (isMap(node)) {
      const item = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === part);
      if (!item) return { node: undefined, pair: undefined };
      pair = item;
      node = item.value;
    } else if (isSeq(node)) {
      const index = Number(part);
      pair = undefined;
      node = Number.isInteger(index) ? node.items[index] : undefined;
      if (node === undefined) return { node: undefined, pair: undefined };
    } else {
      return { node: undefined, pair: undefined };
    }
  }
  return { node: (node as Node | null) ?? undefined, pair };
}

/**
 * Locate a pointer in the document. With `target: 'key'` the location is the mapping key of the
 * last segment (for "unknown key" problems); otherwise the value. Falls back to the nearest
 * existing ancestor so a problem always has a position.
 */
export function locatePointer(
  doc: Document,
  lineCounter: LineCounter,
  file: string,
  pointer: string,
  target: PointerTarget = 'value',
): SourceLocation {
  const parts = parsePointer(pointer);
  for (let depth = parts.length; depth >= 0; depth--) {
    const { node, pair } = walk(doc, parts.slice(0, depth));
    const keyNode = pair && isScalar(pair.key) ? (pair.key as Node) : undefined;
    const chosen = (target === 'key' || depth < parts.length) && keyNode ? keyNode : (node ?? keyNode);
    const range = chosen?.range;
    if (range) {
      const start = lineCounter.linePos(range[0]);
      const end = lineCounter.linePos(range[1]);
      return { file, line: start.line, col: start.col, endLine: end.line, endCol: end.col };
    }
    if (depth === 0) break;
  }
  return { file, line: 1, col: 1 };
}
