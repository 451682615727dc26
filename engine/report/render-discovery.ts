/**
 * What `ferry discover` found, for people: per family its files, proposed prefix / match / pick,
 * the newest file's format and fields with a few sample values, then the files left aside and why.
 * Sample values are shown on the terminal only; the YAML gets names and types.
 */
import { IGNORE_REASON_TEXT } from '../discover/classify-file.js';
import type { CsvDialectSample, Discovery, FamilySample, FileFamily } from '../discover/discovery-model.js';

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} kB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  return `${(bytes / 1024 ** 3).toFixed(1)} GB`;
}

function plural(n: number, word: string): string {
  return `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;
}

function day(date: Date | undefined): string {
  return date?.toISOString().slice(0, 10) ?? '';
}

const show = (text: string) => JSON.stringify(text === '\t' ? '\\t' : text);

function describeCsv(csv: CsvDialectSample): string {
  return [
    `delimiter ${show(csv.delimiter)}`,
    csv.quote ? `quote ${show(csv.quote)}` : 'no quotes seen',
    csv.escape && csv.escape !== csv.quote ? `escape ${show(csv.escape)}` : undefined,
    csv.header ? 'header row' : 'no header row',
    `${csv.encoding}${csv.bom ? ' with BOM' : ''}`,
    csv.newline,
  ]
    .filter(Boolean)
    .join(', ');
}

function describeFormat(sample: FamilySample): string {
  const compression = sample.compression === 'none' ? 'not compressed' : sample.compression;
  const part = sample.partial ? ` (read the first ${formatBytes(sample.bytesRead)})` : '';
  if (sample.csv) return `csv: ${describeCsv(sample.csv)}; ${compression}${part}`;
  if (sample.json) return `json, ${sample.json.layout}; ${compression}${part}`;
  return `${sample.format}; ${compression}${part}`;
}

function fieldLines(sample: FamilySample): string[] {
  const width = Math.max(0, ...sample.fields.map((f) => f.name.length));
  const typeWidth = Math.max(0, ...sample.fields.map((f) => f.type.length));
  return sample.fields.map((f) =>
    `${f.name.padEnd(width)}  ${f.type.padEnd(typeWidth)}  ${f.values.join(' | ')}`.trimEnd(),
  );
}

function familyLines(family: FileFamily, sample: FamilySample | undefined): string[] {
  const size = family.files.reduce((sum, f) => sum + f.size, 0);
  const range =
    family.firstTimestamp && family.lastTimestamp
      ? `${day(family.firstTimestamp)}${family.files.length > 1 ? ` … ${day(family.lastTimestamp)}` : ''}, `
      : '';
  const lines = [
    `${family.name} — ${plural(family.files.length, 'file')} like ${family.shape} (${range}${formatBytes(size)})`,
  ];
  const row = (label: string, text: string) => lines.push(`  ${label.padEnd(8)} ${text}`);
  row('prefix', family.prefix || '(bucket root)');
  row(
    'match',
    `${family.match}${family.timestampFormat ? `   timestamp_format ${family.timestampFormat}` : ''}`,
  );
  const cadence = family.expectEvery
    ? `, expect every ${family.expectEvery} (grace ${family.grace ?? ''})`
    : '';
  row('pick', `${family.pick}${family.order ? `, order ${family.order}` : ''}${cadence}`);
  row('newest', `${family.newest.key} (${formatBytes(family.newest.size)})`);
  if (sample?.error) row('format', `not read: ${sample.error.message} [${sample.error.code}]`);
  else if (sample) row('format', describeFormat(sample));
  if (sample && !sample.error && sample.fields.length) {
    const [first, ...rest] = fieldLines(sample);
    row('fields', first ?? '');
    for (const line of rest) lines.push(`           ${line}`);
  }
  for (const note of family.notes) row('note', note);
  return lines;
}

/** The report on stderr (or stdout with --write), ending with a blank line. */
export function renderDiscovery(
  result: { discovery: Discovery; samples: ReadonlyMap<string, FamilySample>; truncated: boolean },
  options: { pages?: number } = {},
): string {
  const { discovery } = result;
  const where = `s3://${discovery.bucket}/${discovery.prefix}`;
  const lines = [
    `Listed ${plural(discovery.listed, 'object')} under ${where}${options.pages ? ` (${plural(options.pages, 'page')})` : ''}${result.truncated ? ', and stopped there: families come from these only' : ''}.`,
    '',
  ];
  if (discovery.families.length === 0) lines.push('No data files found: nothing to propose.', '');
  for (const family of discovery.families)
    lines.push(...familyLines(family, result.samples.get(family.name)), '');
  if (discovery.ignored.length) {
    lines.push(`Left aside: ${plural(discovery.ignored.length, 'file')} that no proposed match takes:`);
    const width = Math.max(...discovery.ignored.map((f) => f.key.length));
    for (const file of discovery.ignored)
      lines.push(`  ${file.key.padEnd(width)}  ${IGNORE_REASON_TEXT[file.reason]}`);
    lines.push('');
  }
  return `${lines.join('\n')}\n`.replace(/\n\n\n$/, '\n\n');
}
