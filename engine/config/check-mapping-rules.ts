/**
 * Mapping rules a schema cannot express, checked without the data: names that the mapping itself
 * removes (excluded, renamed away, not in `fields`) cannot be cast, keyed, required or be the event
 * timestamp; the `rest` column's name cannot be taken by another output column; a cast cannot apply
 * to a computed column. Each would otherwise fail only at run time (or, for a cast on a computed
 * column, do nothing). Whether the *source* has a column is known only at run time.
 */
import { compileTimestampFormat } from '../time/timestamp-format.js';
import { explainTimestampFormat } from './check-source-rules.js';
import type { Mapping } from './model.js';

export interface MappingIssue {
  code: 'CONFIG_UNKNOWN_COLUMN' | 'CONFIG_CONFLICT' | 'CONFIG_BAD_TIMESTAMP_FORMAT';
  message: string;
  hint: string;
  /** Path under the pipeline, e.g. /mapping/cast/c. */
  path: Array<string | number>;
  target?: 'key' | 'value';
}

/** Why `name` is not an output column of the mapping, or undefined when it may be one. */
function whyAbsent(mapping: Mapping, name: string): string | undefined {
  if (name in mapping.compute) return undefined;
  const renamedTo = (source: string) => mapping.rename[source] ?? source;
  if (mapping.fields) {
    if (mapping.fields.some((f) => renamedTo(f) === name)) return undefined;
    const renamed = mapping.rename[name];
    return mapping.fields.includes(name) && renamed !== undefined
      ? `it is renamed to "${renamed}"`
      : 'mapping.fields does not select it';
  }
  const excluded = new Set(mapping.exclude ?? []);
  const produced = Object.entries(mapping.rename).some(
    ([source, to]) => to === name && !excluded.has(source),
  );
  if (produced) return undefined;
  if (excluded.has(name)) return 'mapping.exclude drops it';
  const renamed = mapping.rename[name];
  return renamed !== undefined ? `it is renamed to "${renamed}"` : undefined;
}

export function checkMappingRules(mapping: Mapping): MappingIssue[] {
  const issues: MappingIssue[] = [];
  const format = mapping.timestamp?.format;
  if (format !== undefined) {
    const problem = checkMappingTimestampFormat(format);
    if (problem) {
      issues.push({
        code: 'CONFIG_BAD_TIMESTAMP_FORMAT',
        ...problem,
        path: ['mapping', 'timestamp', 'format'],
      });
    }
  }
  const references: Array<[string, string, Array<string | number>, 'key' | 'value']> = [
    ...Object.keys(mapping.cast).map((c): [string, string, Array<string | number>, 'key'] => [
      c,
      'cast',
      ['mapping', 'cast', c],
      'key',
    ]),
    ...(mapping.key ?? []).map((c, i): [string, string, Array<string | number>, 'value'] => [
      c,
      'key',
      ['mapping', 'key', i],
      'value',
    ]),
    ...mapping.required.map((c, i): [string, string, Array<string | number>, 'value'] => [
      c,
      'required',
      ['mapping', 'required', i],
      'value',
    ]),
  ];
  if (mapping.timestamp && mapping.timestamp.default !== 'import-time') {
    references.push([
      mapping.timestamp.column,
      'timestamp.column',
      ['mapping', 'timestamp', 'column'],
      'value',
    ]);
  }
  for (const [name, setting, path, target] of references) {
    const why = whyAbsent(mapping, name);
    if (why === undefined) continue;
    issues.push({
      code: 'CONFIG_UNKNOWN_COLUMN',
      message: `mapping.${setting} names column "${name}", which the mapping does not produce: ${why}.`,
      hint: 'Names in cast, key, required and timestamp are output names: after fields/exclude and rename.',
      path,
      target,
    });
  }
  for (const column of Object.keys(mapping.cast)) {
    if (!(column in mapping.compute)) continue;
    issues.push({
      code: 'CONFIG_CONFLICT',
      message: `mapping.cast.${column} names a computed column; casts apply to source columns, so it would do nothing.`,
      hint: `Cast inside the expression instead: compute: {${column}: "CAST(… AS ${mapping.cast[column] ?? 'TYPE'})"}.`,
      path: ['mapping', 'cast', column],
      target: 'key',
    });
  }
  const into = mapping.rest?.into;
  if (into !== undefined) {
    const takenBy = [
      ...(into in mapping.compute ? ['mapping.compute'] : []),
      ...(Object.values(mapping.rename).includes(into) ? ['mapping.rename'] : []),
      ...(into in mapping.cast ? ['mapping.cast'] : []),
      ...((mapping.key ?? []).includes(into) ? ['mapping.key'] : []),
      ...(mapping.required.includes(into) ? ['mapping.required'] : []),
      ...(mapping.timestamp?.column === into ? ['mapping.timestamp'] : []),
      ...(into in mapping.relations ? ['mapping.relations'] : []),
    ];
    if (takenBy.length) {
      issues.push({
        code: 'CONFIG_CONFLICT',
        message: `mapping.rest.into "${into}" is also an output column of ${takenBy.join(' and ')}.`,
        hint: 'Give the packed column a name of its own, e.g. traits.',
        path: ['mapping', 'rest', 'into'],
        target: 'value',
      });
    }
  }
  return issues;
}

/**
 * mapping.timestamp.format is a strptime pattern (with %, checked by DuckDB when it runs) or ferry's
 * token form, which is compiled to strptime at run time; a bad token form would otherwise fail only
 * then. Unix time (X, x) is read as a number, so it cannot be part of a longer pattern.
 */
function checkMappingTimestampFormat(format: string): { message: string; hint: string } | undefined {
  if (format.includes('%') || format === 'X' || format === 'x') return undefined;
  const problem = explainTimestampFormat(format);
  if (problem)
    return { message: `mapping.timestamp.format "${format}": ${problem.reason}`, hint: problem.hint };
  const unixTime = compileTimestampFormat(format).some(
    (part) => part.kind === 'token' && (part.token === 'X' || part.token === 'x'),
  );
  if (!unixTime) return undefined;
  return {
    message: `mapping.timestamp.format "${format}" mixes Unix time (X or x) with other tokens.`,
    hint: 'Use X (Unix seconds) or x (Unix milliseconds) alone, or a calendar format such as YYYY-MM-DD HH:mm:ss.',
  };
}
