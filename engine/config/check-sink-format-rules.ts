/**
 * Rules on an S3 sink's format that the schema cannot state: a CSV list separator that the
 * percent-encoding can tell apart from values, a multi-csv join key that names no column of the
 * output (known here only when the pipeline names its columns), and no max_rows_per_file for
 * multi-csv. Pure; write-files-step.ts refuses a join-key collision at run time too, when the
 * columns come from the data.
 */
import type { Pipeline } from './model.js';
import type { RuleIssue } from './rule-issue.js';
import { joinPointer } from './locate-pointer.js';

/** Column names the multi-csv field files write next to the join key. */
export const MULTI_CSV_ENTRY_COLUMNS = ['key', 'value'] as const;

export function checkSinkFormatRules(pipelines: readonly Pipeline[]): RuleIssue[] {
  return pipelines.flatMap((pipeline) => {
    const issues: RuleIssue[] = [];
    const at = (path: readonly string[], target?: 'key' | 'value') => ({
      file: pipeline.origin.file,
      pointer: pipeline.origin.pointer + joinPointer(path),
      ...(target ? { target } : {}),
    });
    const { sink } = pipeline;
    if (sink.kind !== 's3') return [];
    const format = sink.format;
    if (format.kind === 'csv' && /[%=]/.test(format.listSeparator)) {
      issues.push({
        code: 'CONFIG_BAD_LIST_SEPARATOR',
        severity: 'error',
        message: `sink.format.list_separator "${format.listSeparator}" contains % or =, which the list encoding uses itself (%XX escapes, key=value): its lists could not be split back.`,
        hint: 'Use another separator, such as & (the default), | or ;.',
        ...at(['sink', 'format', 'list_separator']),
      });
    }
    if (format.kind !== 'multi-csv') return issues;
    if (sink.maxRowsPerFile !== undefined) {
      issues.push({
        code: 'CONFIG_CONFLICT',
        severity: 'error',
        message:
          'max_rows_per_file cannot split multi-csv: a row and its list/map elements would land in different parts, and a field file has one row per element, not per row.',
        hint: 'Remove max_rows_per_file, or use format csv, json, ndjson or parquet to split the output.',
        ...at(['sink', 'max_rows_per_file'], 'key'),
      });
    }
    // Where join_key is written, else (the default) at sink.format: a pointer finds its nearest node.
    const joinKeyAt = at(['sink', 'format', 'join_key']);
    if ((MULTI_CSV_ENTRY_COLUMNS as readonly string[]).includes(format.joinKey)) {
      issues.push({
        code: 'CONFIG_JOIN_KEY_COLLISION',
        severity: 'error',
        message: `multi-csv's join_key "${format.joinKey}" is a column name of its map and list files (${MULTI_CSV_ENTRY_COLUMNS.join(', ')}).`,
        hint: 'Choose another join_key, such as _join_key (the default).',
        ...joinKeyAt,
      });
    }
    for (const named of namedColumns(pipeline)) {
      if (named.name !== format.joinKey) continue;
      issues.push({
        code: 'CONFIG_JOIN_KEY_COLLISION',
        severity: 'error',
        message: `The output has a column "${named.name}" (${named.setting}), which is also multi-csv's join_key: the join key would overwrite it.`,
        hint: `Rename the column, or set sink.format.join_key to a name the output does not use.`,
        ...at(named.path, named.target),
      });
    }
    return issues;
  });
}

interface NamedColumn {
  name: string;
  setting: string;
  path: string[];
  target?: 'key';
}

/**
 * The output columns the pipeline names itself: sink.fields when given (only they are written),
 * else the columns the mapping creates or keeps by name. Columns that come from the data alone are
 * checked at run time.
 */
function namedColumns(pipeline: Pipeline): NamedColumn[] {
  const { sink, mapping } = pipeline;
  if (sink.kind !== 's3') return [];
  if (sink.fields) {
    return sink.fields.map((name, i) => ({
      name,
      setting: 'sink.fields',
      path: ['sink', 'fields', String(i)],
    }));
  }
  const renamed = new Set(Object.keys(mapping?.rename ?? {}));
  return [
    ...(mapping?.fields ?? [])
      .map((name, i) => ({ name, setting: 'mapping.fields', path: ['mapping', 'fields', String(i)] }))
      .filter((c) => !renamed.has(c.name)),
    ...Object.entries(mapping?.rename ?? {}).map(([from, name]) => ({
      name,
      setting: `mapping.rename.${from}`,
      path: ['mapping', 'rename', from],
    })),
    ...Object.keys(mapping?.compute ?? {}).map((name) => ({
      name,
      setting: `mapping.compute.${name}`,
      path: ['mapping', 'compute', name],
      target: 'key' as const,
    })),
    ...(mapping?.rest
      ? [{ name: mapping.rest.into, setting: 'mapping.rest.into', path: ['mapping', 'rest', 'into'] }]
      : []),
    ...(pipeline.diff?.tombstones
      ? [
          {
            name: pipeline.diff.tombstones.column,
            setting: 'diff.tombstones.column',
            path: ['diff', 'tombstones', 'column'],
          },
        ]
      : []),
    ...(sink.segmentsField !== undefined
      ? [{ name: sink.segmentsField, setting: 'sink.segments_field', path: ['sink', 'segments_field'] }]
      : []),
  ];
}
