/**
 * The load step's JSON batch path (one read_json over a run's small NDJSON files) against its
 * reference, the same step loading each file on its own: the same `source` rows (values and types,
 * file column, run-wide row numbers), columns, loaded files, rejects, rejected-row records, warnings,
 * counts and error, for named cases and generated mixes. Real DuckDB; the files are written where
 * fetch would leave them.
 */
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import type { Pipeline } from '../../../engine/config/model.js';
import { createRandom, removeLoadDirs, runLoadStep, type SourceFile } from './load-step-batch-harness.js';

type JsonFormat = Extract<Extract<Pipeline['source'], { kind: 's3' }>['format'], { kind: 'json' }>;

const DEFAULT_FORMAT: JsonFormat = {
  kind: 'json',
  layout: 'ndjson',
  emptyFile: 'skip',
  maxRejects: { kind: 'count', value: 100 },
};

afterAll(removeLoadDirs);

/**
 * Runs the load step over `files`; everything it leaves behind, in a comparable form. `keepBytes`:
 * the files' bytes come with them, as the fetch step keeps small files' (else they are read from disk);
 * `'only'`: they are not on disk at all, as the fetch step leaves small NDJSON files.
 */
function load(
  files: readonly SourceFile[],
  format: Partial<JsonFormat>,
  together: boolean,
  keepBytes: boolean | 'only' = false,
) {
  return runLoadStep(
    files,
    { ...DEFAULT_FORMAT, ...format },
    { together, keepBytes, batchTablePrefix: 'ferry_json_batch_' },
  );
}

/**
 * Both paths; the outcomes must be equal, the batch's whether it reads the files or the bytes the
 * fetch step kept, or has the bytes only: then a batch writes none of the files, and a run the batch
 * does not take writes every file for its one-file load. Returns the batch run's. `sameNumbers`:
 * values compared as numbers where both read as one (see 'keeps the source text of a number…' below).
 */
async function compare(
  files: readonly SourceFile[],
  format: Partial<JsonFormat> = {},
  options: { sameNumbers?: boolean } = {},
) {
  const reference = await load(files, format, false);
  const batch = await load(files, format, true);
  const fromBytes = await load(files, format, true, true);
  const rows = (outcome: { rows: unknown[] }) =>
    options.sameNumbers ? outcome.rows.map(numbersAsNumbers) : outcome.rows;
  expect({ ...batch.outcome, rows: rows(batch.outcome) }).toEqual({
    ...reference.outcome,
    rows: rows(reference.outcome),
  });
  expect(fromBytes.outcome).toEqual(batch.outcome);
  expect(fromBytes.batched).toBe(batch.batched);
  const inMemory = await load(files, format, true, 'only');
  expect(inMemory.outcome).toEqual(batch.outcome);
  expect(inMemory.batched).toBe(batch.batched);
  expect(inMemory.filesOnDisk).toHaveLength(batch.batched ? 0 : files.length);
  expect(reference.batched).toBe(false);
  return batch;
}

function numbersAsNumbers(row: unknown): unknown {
  return Object.fromEntries(
    Object.entries(row as Record<string, unknown>).map(([k, v]) => [
      k,
      typeof v === 'string' && /^-?[0-9]+(\.[0-9]+)?$/.test(v) ? Number(v) : v,
    ]),
  );
}

const lines = (...records: unknown[]) => records.map((r) => JSON.stringify(r)).join('\n') + '\n';

describe('load step: small NDJSON files in one read', () => {
  it('good files: one read, no table per file, the same rows, types and row numbers', async () => {
    const files = [
      { key: 'a.ndjson', body: lines({ id: 1, name: 'a' }, { id: 2, name: 'b' }) },
      // A key that first appears in a later file, a field typed differently per file.
      { key: 'b.ndjson', body: lines({ id: 3.5, name: 'c', tags: ['x'] }) },
      { key: 'c.ndjson', body: lines({ id: 4, name: 'd', extra: { deep: 1 } }, { id: 5, name: null }) },
    ];
    const result = await compare(files);
    expect(result.batched).toBe(true);
    expect(result.perFileTables).toBe(0);
    expect(result.outcome.columns).toEqual(['id', 'name', 'tags', 'extra']);
    expect(result.outcome.rows).toHaveLength(5);
    expect(result.outcome.rows[2]).toMatchObject({
      id: 3.5,
      name: 'c',
      _ferry_file: 'b.ndjson',
      _ferry_row: 3n,
    });
  });

  it('bad lines are rejected per file with their line and kept as rejected rows', async () => {
    const files = [
      { key: 'a.ndjson', body: lines({ id: 1 }) },
      { key: 'b.ndjson', body: `{"id": 2}\n{"id": \n[1, 2]\n\n{"id": 3}\n` },
      { key: 'c.ndjson', body: gzipSync(lines({ id: 4 }, { id: 5 })) },
    ];
    const result = await compare(files);
    expect(result.batched).toBe(true);
    expect(result.outcome.rejects.map((r) => [r.file, r.line])).toEqual([
      ['b.ndjson', 2],
      ['b.ndjson', 3],
    ]);
    expect(result.outcome.rejectedRows).toHaveLength(2);
  });

  for (const emptyFile of ['skip', 'fail'] as const) {
    it(`an empty file and a file of bad lines only (empty_file: ${emptyFile})`, async () => {
      const files = [
        { key: 'a.ndjson', body: lines({ id: 1 }) },
        { key: 'empty.ndjson', body: '\n' },
        { key: 'bad.ndjson', body: '{"id": \n' },
        { key: 'd.ndjson', body: lines({ id: 2 }) },
      ];
      const result = await compare(files, { emptyFile });
      expect(result.batched).toBe(emptyFile === 'skip');
      if (emptyFile === 'fail') expect(result.outcome.error?.code).toBe('JSON_EMPTY_FILE');
    });
  }

  it('a file over max_rejects, and keys that differ only in case: as they are alone', async () => {
    const overLimit = [
      { key: 'a.ndjson', body: lines({ id: 1 }) },
      { key: 'b.ndjson', body: '{"id": 2}\n{\n{\n' },
    ];
    const over = await compare(overLimit, { maxRejects: { kind: 'count', value: 1 } });
    expect(over.outcome.error?.code).toBe('JSON_REJECTS_OVER_LIMIT');
    expect(over.batched).toBe(false);
    const cased = [
      { key: 'a.ndjson', body: lines({ id: 1, Name: 'x' }) },
      { key: 'b.ndjson', body: lines({ id: 2, name: 'y' }) },
    ];
    expect((await compare(cased)).batched).toBe(false);
    // A zip file among them: the one-file load says so, in file order.
    const zipped = [
      { key: 'a.ndjson', body: lines({ id: 1 }) },
      { key: 'b.ndjson', body: Buffer.from('PK\x03\x04 not an archive really') },
    ];
    const zip = await compare(zipped);
    expect(zip.batched).toBe(false);
    expect(zip.outcome.error?.code).toBe('COMPRESSION_UNSUPPORTED');
  });

  it('large integers, booleans and nested values typed across files as one by one', async () => {
    const files = [
      { key: 'a.ndjson', body: lines({ n: 1, b: true, s: { x: 1 } }) },
      {
        key: 'b.ndjson',
        body: `{"n": 123456789012345678901234567890, "b": "yes", "s": {"x": 1, "y": "z"}}\n`,
      },
      { key: 'c.ndjson', body: lines({ n: -5, b: false, s: 'text' }) },
    ];
    const result = await compare(files);
    expect(result.batched).toBe(true);
  });

  it('keeps the source text of a number that one file types as DOUBLE and the run as text', async () => {
    // One by one, the first file is typed DOUBLE and its 1 read back as 1.0 when the run's type
    // becomes text; together the values are typed as one file would be, from their source text.
    const files = [
      { key: 'a.ndjson', body: lines({ id: 1, v: 1 }, { id: 2, v: 0.5 }) },
      { key: 'b.ndjson', body: lines({ id: 3, v: 'n/a' }) },
    ];
    const reference = await load(files, {}, false);
    const batch = await load(files, {}, true);
    expect(batch.batched).toBe(true);
    expect(reference.outcome.rows.map((r) => (r as { v: unknown }).v)).toEqual(['1.0', '0.5', '"n/a"']);
    expect(batch.outcome.rows.map((r) => (r as { v: unknown }).v)).toEqual(['1', '0.5', '"n/a"']);
    expect({ ...batch.outcome, rows: [] }).toEqual({ ...reference.outcome, rows: [] });
  });

  it('generated mixes: the same outcome as file by file', async () => {
    let batched = 0;
    for (let seed = 1; seed <= 12; seed++) {
      const random = createRandom(seed);
      const files = Array.from({ length: 2 + Math.floor(random() * 5) }, (_, i) => generateFile(random, i));
      const format: Partial<JsonFormat> = {
        emptyFile: random() < 0.5 ? 'skip' : 'fail',
        maxRejects: { kind: 'count', value: Math.floor(random() * 3) },
      };
      if ((await compare(files, format, { sameNumbers: true })).batched) batched += 1;
    }
    // Both paths are taken: the mixes that can go together do.
    expect(batched).toBeGreaterThanOrEqual(4);
    expect(batched).toBeLessThan(12);
  });
});

describe('load step: small JSON array files in one read, made lines', () => {
  const ARRAY = { layout: 'array' } as const;
  const array = (...records: unknown[]) => JSON.stringify(records, null, 2);

  it('good files, pretty-printed and packed, nested values and large integers: one read', async () => {
    const files = [
      { key: 'a.json', body: array({ id: 1, name: 'a\nb', tags: ['x', 'y'] }, { id: 2, name: 'c' }) },
      { key: 'b.json', body: `[{"id":12345678901234567890,"name":"d","deep":{"k":[1,{"z":null}]}}]` },
      { key: 'c.json', body: gzipSync(array({ id: 3.5, name: ' e ' })) },
      { key: 'd.json', body: '[]' },
    ];
    const result = await compare(files, ARRAY);
    expect(result.batched).toBe(true);
    expect(result.perFileTables).toBe(0);
    expect(result.outcome.rows).toHaveLength(4);
    expect(result.outcome.rows[0]).toMatchObject({ name: 'a\nb', _ferry_file: 'a.json', _ferry_row: 1n });
  });

  it('a file that is not one array of objects, or whose object repeats a key: every file alone', async () => {
    const good = { key: 'a.json', body: array({ id: 1 }) };
    // Each as the one-file load takes it (an error for most; see load-json.test.ts for which).
    for (const body of [
      '[{"id": 2},',
      '[{"id": 2}, 3]',
      '{"id": 2}',
      '[{"id": 2, "id": 3}]',
      '[{"id": 2}] [{"id": 3}]',
    ]) {
      expect((await compare([good, { key: 'b.json', body }], ARRAY)).batched).toBe(false);
    }
    // A byte order mark is left out, as DuckDB leaves it out of a file alone.
    expect((await compare([good, { key: 'b.json', body: '\ufeff[{"id": 2}]' }], ARRAY)).batched).toBe(true);
  });

  it('generated mixes: the same outcome as file by file', async () => {
    let batched = 0;
    for (let seed = 1; seed <= 8; seed++) {
      const random = createRandom(seed);
      const files = Array.from({ length: 2 + Math.floor(random() * 5) }, (_, i) => {
        const file = generateFile(random, i);
        const good = String(file.body)
          .split('\n')
          .filter((line) => line.startsWith('{') && isJson(line));
        return {
          key: `f${i}.json`,
          body: random() < 0.5 ? `[${good.join(',')}]` : `[\n  ${good.join(',\n  ')}\n]\n`,
        };
      });
      const format: Partial<JsonFormat> = { ...ARRAY, emptyFile: random() < 0.5 ? 'skip' : 'fail' };
      if ((await compare(files, format, { sameNumbers: true })).batched) batched += 1;
    }
    expect(batched).toBeGreaterThanOrEqual(4);
  });
});

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

const VALUES: ReadonlyArray<(i: number) => unknown> = [
  (i) => i,
  (i) => i + 0.5,
  (i) => `s${i}`,
  (i) => i % 2 === 0,
  () => null,
  (i) => [i, i + 1],
  (i) => ({ k: i }),
];
const BAD_LINES = ['{"id": ', '[1]', '"text"', '{"id": 1,}'];

function generateFile(random: () => number, index: number): SourceFile {
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)] as T;
  const count = Math.floor(random() * 4);
  const body = Array.from({ length: count }, (_, i) => {
    if (random() < 0.15) return pick(BAD_LINES);
    const record: Record<string, unknown> = { id: index * 10 + i };
    for (const key of ['a', 'b', 'c']) if (random() < 0.6) record[key] = pick(VALUES)(i);
    return JSON.stringify(record);
  });
  return { key: `f${index}.ndjson`, body: body.length ? `${body.join('\n')}\n` : '' };
}
