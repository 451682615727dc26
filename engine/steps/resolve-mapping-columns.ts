/**
 * Which source column becomes which output column, before any SQL is written: selection
 * (fields/exclude), rename, and which selected columns travel inside the `rest` map. Every name the
 * mapping uses is checked against the source's columns here, so a misspelt name fails with
 * MAPPING_UNKNOWN_COLUMN pointing at the setting (file:line:col) instead of a DuckDB binder error.
 */
import { joinPointer } from '../config/locate-pointer.js';
import type { Mapping } from '../config/model.js';
import { suggest } from '../config/suggest.js';
import { FerryError } from '../errors/ferry-error.js';

export interface MappingColumns {
  /** Output name → source name, in output order (selected columns only). */
  renamed: Map<string, string>;
  /** Output names of the selected columns that stay columns (not packed into `rest`). */
  kept: string[];
  /** Selected columns packed into the `rest` map (never renamed, so source name = output name). */
  packed: string[];
  /** The timestamp column when the source lacks it and `default: import-time` creates it. */
  createdTimestamp: string | undefined;
}

/** Where in the pipeline a name was written: path segments under `mapping`, and whether it is a key. */
interface Setting {
  path: ReadonlyArray<string | number>;
  key?: boolean;
}

function unknownColumn(
  column: string,
  where: string,
  available: readonly string[],
  pipeline: string,
  at: Setting,
): FerryError {
  const guess = suggest(column, available);
  return new FerryError(
    'MAPPING_UNKNOWN_COLUMN',
    `mapping.${where} names column "${column}", which the source does not have.`,
    {
      context: {
        pipeline,
        step: 'map',
        config: joinPointer(['mapping', ...at.path]),
        ...(at.key ? { configKey: true } : {}),
      },
      hint: `${guess ? `Did you mean "${guess}"? ` : ''}Columns in the source: ${available.slice(0, 30).join(', ')}${available.length > 30 ? ', …' : ''}.`,
    },
  );
}

function duplicateColumn(message: string, pipeline: string, config: string, hint: string): FerryError {
  return new FerryError('MAPPING_DUPLICATE_COLUMN', message, {
    context: { pipeline, step: 'map', config },
    hint,
  });
}

/** Selection then rename; throws MAPPING_UNKNOWN_COLUMN / MAPPING_DUPLICATE_COLUMN. */
function selectAndRename(
  mapping: Mapping,
  available: readonly string[],
  pipeline: string,
): Map<string, string> {
  let selected: readonly string[] = available;
  if (mapping.fields) {
    for (const [i, f] of mapping.fields.entries())
      if (!available.includes(f))
        throw unknownColumn(f, 'fields', available, pipeline, { path: ['fields', i] });
    selected = mapping.fields;
  } else if (mapping.exclude) {
    for (const [i, f] of mapping.exclude.entries())
      if (!available.includes(f))
        throw unknownColumn(f, 'exclude', available, pipeline, { path: ['exclude', i] });
    selected = available.filter((c) => !mapping.exclude?.includes(c));
  }
  for (const from of Object.keys(mapping.rename)) {
    if (!available.includes(from))
      throw unknownColumn(from, 'rename', available, pipeline, { path: ['rename', from], key: true });
  }
  const renamed = new Map<string, string>();
  for (const source of selected) {
    const output = mapping.rename[source] ?? source;
    if (renamed.has(output)) {
      throw duplicateColumn(
        `mapping.rename produces the column "${output}" twice.`,
        pipeline,
        joinPointer(['mapping', 'rename']),
        'Rename one of the two columns to another name, or exclude one.',
      );
    }
    renamed.set(output, source);
  }
  return renamed;
}

/**
 * The columns a mapping produces from `available` source columns. Names in cast, key and required
 * are output names (after rename) or computed columns; the timestamp column may be created.
 */
export function resolveMappingColumns(
  mapping: Mapping,
  available: readonly string[],
  pipeline: string,
): MappingColumns {
  const renamed = selectAndRename(mapping, available, pipeline);
  const outputNames = [...renamed.keys()];
  const named: Array<[string, string, Setting]> = [
    ...Object.keys(mapping.cast).map((c): [string, string, Setting] => [
      c,
      'cast',
      { path: ['cast', c], key: true },
    ]),
    ...(mapping.key ?? []).map((c, i): [string, string, Setting] => [c, 'key', { path: ['key', i] }]),
    ...mapping.required.map((c, i): [string, string, Setting] => [c, 'required', { path: ['required', i] }]),
  ];
  for (const [column, where, at] of named) {
    if (!renamed.has(column) && !(column in mapping.compute)) {
      throw unknownColumn(column, where, outputNames, pipeline, at);
    }
  }
  const timestamp = mapping.timestamp;
  const createdTimestamp =
    timestamp && !renamed.has(timestamp.column) && !(timestamp.column in mapping.compute)
      ? timestamp.column
      : undefined;
  if (createdTimestamp !== undefined && timestamp?.default !== 'import-time') {
    throw unknownColumn(createdTimestamp, 'timestamp.column', outputNames, pipeline, {
      path: ['timestamp', 'column'],
    });
  }

  // With `rest`, every selected column the user did not map explicitly is packed into the map.
  // `fields` only selects (what to import), so a listed column that is not renamed, cast, keyed,
  // required, a relation or the timestamp travels inside the map.
  const explicit = new Set<string>([
    ...Object.values(mapping.rename),
    ...Object.keys(mapping.cast),
    ...(mapping.key ?? []),
    ...mapping.required,
    ...(timestamp ? [timestamp.column] : []),
    ...Object.keys(mapping.relations),
  ]);
  const kept: string[] = [];
  const packed: string[] = [];
  for (const [output, source] of renamed) {
    if (mapping.rest && !explicit.has(output)) packed.push(source);
    else kept.push(output);
  }
  if (mapping.rest && kept.includes(mapping.rest.into)) {
    throw duplicateColumn(
      `mapping.rest.into "${mapping.rest.into}" is also a source column.`,
      pipeline,
      joinPointer(['mapping', 'rest', 'into']),
      'Choose another name for the packed column, e.g. traits.',
    );
  }
  return { renamed, kept, packed, createdTimestamp };
}
