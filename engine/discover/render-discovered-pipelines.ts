/**
 * Discovered families → starter pipeline YAML: one pipeline per family, with its `prefix`, `match`,
 * `timestamp_format`, `pick` and the format read from its newest file, and a sink to edit. Comments
 * say where each proposal came from and what to change. The YAML names credentials only through the
 * connection (whose keys are `${env:…}` references); field names and types go into comments, sample
 * values never do (they may be personal data, and pipeline files are committed).
 */
import type { CsvDialectSample, FamilySample, FileFamily } from './discovery-model.js';
import { commentText, indentLines, yamlString } from './yaml-text.js';

export interface DiscoveredPipelineOptions {
  /** The connection the source reads with. */
  connection: string;
  bucket: string;
  /** Where outputs go; `directory` is a folder under which each pipeline gets its own. */
  sink: { connection: string; bucket: string; directory: string };
  /** The command, for the header comment (`ferry discover s3://…`). */
  command: string;
  /** `$schema` of the modeline, relative to the file. */
  schemaPath: string;
}

export interface DiscoveredFamily {
  family: FileFamily;
  sample?: FamilySample;
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} kB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  return `${(bytes / 1024 ** 3).toFixed(1)} GB`;
}

function isoDay(date: Date | undefined): string {
  return date === undefined ? '' : date.toISOString().slice(0, 10);
}

function headerLines({ family, sample }: DiscoveredFamily, options: DiscoveredPipelineOptions): string[] {
  const count = family.files.length;
  const range =
    family.firstTimestamp && family.lastTimestamp
      ? ` (${isoDay(family.firstTimestamp)}${count > 1 ? ` … ${isoDay(family.lastTimestamp)}` : ''})`
      : '';
  const lines = [
    `Proposed by \`${options.command}\`:`,
    `${count} file${count === 1 ? '' : 's'} like ${family.shape}${range}.`,
  ];
  const newest = family.newest.key.slice(family.prefix.length);
  if (sample?.error) {
    lines.push(`Could not read ${newest} (${sample.error.code}): check the format below by hand.`);
  } else if (sample) {
    const part = sample.partial ? `, its first ${formatBytes(sample.bytesRead)}` : '';
    lines.push(`Format and fields from the newest file, ${newest} (${formatBytes(sample.size)}${part}).`);
  }
  if (sample && sample.fields.length) {
    lines.push('Fields (types as DuckDB guesses them; ferry reads text and casts only where you say):');
    const width = Math.max(...sample.fields.map((f) => f.name.length));
    for (const field of sample.fields) lines.push(`  ${field.name.padEnd(width)}  ${field.type}`);
  }
  for (const note of family.notes) lines.push(`Note: ${note}`);
  return lines.map((line) => `# ${commentText(line)}`.trimEnd());
}

function delimiterValue(delimiter: string): string {
  return delimiter === '\t' ? 't' : delimiter;
}

function csvLines(csv: CsvDialectSample | undefined, extension: string): string[] {
  if (!csv) {
    return [
      'kind: csv',
      ...(extension === 'tsv' ? ['delimiter: t'] : []),
      '# Not read: set delimiter, header and encoding as the files have them.',
    ];
  }
  const lines = ['kind: csv', `delimiter: ${yamlString(delimiterValue(csv.delimiter))}`];
  if (csv.quote !== '' && csv.quote !== '"') lines.push(`quote: ${yamlString(csv.quote)}`);
  if (csv.escape !== '' && csv.escape !== csv.quote && csv.escape !== '"')
    lines.push(`escape: ${yamlString(csv.escape)}`);
  lines.push(`header: ${csv.header ? 'true' : 'false'}`);
  const bom =
    csv.bom && csv.encoding === 'utf-8' ? '  # the files start with a byte-order mark; ferry drops it' : '';
  lines.push(`encoding: ${csv.encoding}${bom}`);
  return lines;
}

function formatLines({ family, sample }: DiscoveredFamily): string[] {
  const format = sample && !sample.error ? sample.format : family.format;
  const extension =
    family.newest.key
      .toLowerCase()
      .replace(/\.(gz|gzip|zst|zstd)$/, '')
      .split('.')
      .pop() ?? '';
  switch (format) {
    case 'json':
      return ['kind: json', `layout: ${sample?.json?.layout ?? 'ndjson'}`];
    case 'parquet':
      return ['kind: parquet'];
    case 'csv':
    case 'unknown':
      return csvLines(sample?.error ? undefined : sample?.csv, extension);
  }
}

function pickLines(family: FileFamily): string[] {
  if (family.pick === 'sequence') {
    const lines = [
      '# A continuous prefix_timestamp sequence: each file once, in timestamp order, after the last one taken.',
      'pick: sequence',
    ];
    if (family.expectEvery !== undefined) {
      lines.push('sequence:', `  expect_every: ${family.expectEvery}`, `  grace: ${family.grace ?? '1h'}`);
    } else {
      lines.push('# sequence: {expect_every: 24h}  # how often a file is due; ferry warns when one is late');
    }
    return lines;
  }
  return [
    '# all-new takes every file not processed yet; newest would take only the latest (full snapshots).',
    'pick: all-new',
  ];
}

function sourceLines(discovered: DiscoveredFamily, options: DiscoveredPipelineOptions): string[] {
  const { family } = discovered;
  const lines = [
    'kind: s3',
    `connection: ${yamlString(options.connection)}`,
    `bucket: ${yamlString(options.bucket)}`,
    `prefix: ${yamlString(family.prefix)}`,
    `match: ${yamlString(family.match)}`,
  ];
  if (family.timestampFormat !== undefined)
    lines.push(`timestamp_format: ${yamlString(family.timestampFormat)}`);
  lines.push(...pickLines(family));
  if (family.order !== undefined) lines.push(`order: ${family.order}`);
  lines.push('format:', ...indentLines(formatLines(discovered), 2));
  const compression =
    family.compression === 'none' ? '' : `  # ${family.compression}, by the extension and the bytes`;
  lines.push(`compression: auto${compression}`);
  return lines;
}

function sinkLines(family: FileFamily, options: DiscoveredPipelineOptions): string[] {
  const base =
    options.sink.directory === '' || options.sink.directory.endsWith('/')
      ? options.sink.directory
      : `${options.sink.directory}/`;
  return [
    '# TODO: where ferry writes. As proposed: one Parquet file per run; point it at your own bucket and folder.',
    'kind: s3',
    `connection: ${yamlString(options.sink.connection)}`,
    `bucket: ${yamlString(options.sink.bucket)}`,
    `directory: ${yamlString(`${base}${family.name}/`)}`,
    `filename: ${yamlString(`${family.name}-{{timestamp}}`)}`,
    `timestamp_format: ${yamlString('YYYYMMDD[T]HHmmss[Z]')}`,
    'format: parquet',
  ];
}

/** One pipeline as YAML lines (no modeline), at indentation 0. */
export function renderPipelineLines(
  discovered: DiscoveredFamily,
  options: DiscoveredPipelineOptions,
): string[] {
  const { family } = discovered;
  return [
    ...headerLines(discovered, options),
    `name: ${yamlString(family.name)}`,
    `description: ${yamlString(`Files like ${family.fileShape} in s3://${options.bucket}/${family.prefix}`)}`,
    'source:',
    ...indentLines(sourceLines(discovered, options), 2),
    'sink:',
    ...indentLines(sinkLines(family, options), 2),
  ];
}

function modeline(options: DiscoveredPipelineOptions): string {
  return `# yaml-language-server: $schema=${options.schemaPath}`;
}

/** A pipeline file holding one pipeline. */
export function renderPipelineFile(discovered: DiscoveredFamily, options: DiscoveredPipelineOptions): string {
  return [modeline(options), '#', ...renderPipelineLines(discovered, options), ''].join('\n');
}

/** A pipeline file holding every family as a `pipelines:` list (one file to paste or redirect). */
export function renderPipelinesFile(
  families: readonly DiscoveredFamily[],
  options: DiscoveredPipelineOptions,
): string {
  if (families.length === 1 && families[0]) return renderPipelineFile(families[0], options);
  const items = families.flatMap((discovered, i) => {
    const lines = renderPipelineLines(discovered, options);
    const first = lines.findIndex((line) => !line.startsWith('#'));
    return [
      ...(i > 0 ? [''] : []),
      ...indentLines(lines.slice(0, first), 2),
      `  - ${lines[first] ?? ''}`,
      ...indentLines(lines.slice(first + 1), 4),
    ];
  });
  return [modeline(options), 'pipelines:', ...items, ''].join('\n');
}
