/**
 * A column type as DESCRIBE prints it (`STRUCT("a b" DOUBLE, t TIMESTAMP WITH TIME ZONE[])[]`) as a
 * tree, for SQL that must reach into nested values (the JSON writer fixes doubles and timestamps at
 * any depth). Only lists, maps and structs are taken apart; every other type (UNION, ENUM, DECIMAL,
 * JSON…) is a leaf with its name as printed. Pure; DESCRIBE's output is the only input it must read.
 */

export type ColumnTypeNode =
  | { kind: 'list'; element: ColumnTypeNode }
  | { kind: 'map'; key: ColumnTypeNode; value: ColumnTypeNode }
  | { kind: 'struct'; fields: Array<{ name: string; type: ColumnTypeNode }> }
  | { kind: 'leaf'; name: string };

export function parseColumnType(text: string): ColumnTypeNode {
  const type = text.trim();
  // A list suffix closes the type (`INTEGER[2][]`, `STRUCT(…)[]`): the last one is the outer list.
  const list = /\[\d*\]$/.exec(type);
  if (list) return { kind: 'list', element: parseColumnType(type.slice(0, list.index)) };
  const inner = /^(MAP|STRUCT)\((.*)\)$/is.exec(type);
  if (inner?.[1] && inner[2] !== undefined) {
    const parts = splitTopLevel(inner[2]);
    if (inner[1].toUpperCase() === 'MAP' && parts.length === 2) {
      return { kind: 'map', key: parseColumnType(parts[0] ?? ''), value: parseColumnType(parts[1] ?? '') };
    }
    if (inner[1].toUpperCase() === 'STRUCT') {
      return { kind: 'struct', fields: parts.map(parseStructField) };
    }
  }
  return { kind: 'leaf', name: type };
}

/** `"a ""b"" c" DOUBLE` or `a DOUBLE`: a field name (quoted when DESCRIBE must) and its type. */
function parseStructField(text: string): { name: string; type: ColumnTypeNode } {
  const field = text.trim();
  const quoted = /^"((?:[^"]|"")*)"\s+(.*)$/s.exec(field);
  if (quoted)
    return { name: (quoted[1] ?? '').replaceAll('""', '"'), type: parseColumnType(quoted[2] ?? '') };
  const space = field.indexOf(' ');
  return { name: field.slice(0, space), type: parseColumnType(field.slice(space + 1)) };
}

/** Split on commas outside parentheses and quotes (`'a,b'` in an ENUM, `"a,b"` a field name). */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote: string | undefined;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quote) {
      if (ch === quote) quote = undefined; // a doubled quote closes and reopens: still balanced
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (ch === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts.map((p) => p.trim());
}
