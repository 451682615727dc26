/**
 * The load step's batch path (one read_csv over many small files) against its reference, the same
 * step loading each file on its own: the same `source` rows (file column and run-wide row numbers
 * included), loaded files (counts, record maps, offsets), rejects (file, line, reason), rejected-row
 * records, warnings, counts and error (code, message) — for named cases and for generated mixes.
 * Real DuckDB; the files are written where fetch would leave them.
 */
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import type { Pipeline } from '../../../engine/config/model.js';
import { zstdFactory } from '../../../engine/duckdb/open-decompressed.js';
import { createRandom, removeLoadDirs, runLoadStep, type SourceFile } from './load-step-batch-harness.js';

type CsvFormat = Extract<Extract<Pipeline['source'], { kind: 's3' }>['format'], { kind: 'csv' }>;

const DEFAULT_FORMAT: CsvFormat = {
  kind: 'csv',
  delimiter: ',',
  quote: '"',
  escape: '"',
  header: true,
  encoding: 'utf-8',
  emptyFile: 'skip',
  maxRejects: { kind: 'count', value: 100 },
};

afterAll(removeLoadDirs);

/**
 * Runs the load step over `files`; everything it leaves behind, in a comparable form. `keepBytes`:
 * the files' bytes come with them, as the fetch step keeps small files' (a group whose files all
 * join safely is then read from one joined file); `'only'`: they are not on disk at all.
 */
function load(
  files: readonly SourceFile[],
  format: Partial<CsvFormat>,
  together: boolean,
  keepBytes: boolean | 'only' = false,
) {
  return runLoadStep(
    files,
    { ...DEFAULT_FORMAT, ...format },
    { together, keepBytes, batchTablePrefix: 'ferry_batch_' },
  );
}

/**
 * Both paths; the outcomes must be equal, whether the batch reads separate files or one joined file
 * made from the bytes the fetch step kept, and whether those files were on disk or in memory only
 * (then every file the batch does not take is written for its one-file load). Returns the run from
 * separate files, and how many files held in memory only were read from one joined file.
 */
async function compare(files: readonly SourceFile[], format: Partial<CsvFormat> = {}) {
  const reference = await load(files, format, false);
  const batch = await load(files, format, true);
  expect(batch.outcome).toEqual(reference.outcome);
  expect(reference.batched).toBe(false);
  const joined = await load(files, format, true, true);
  expect(joined.outcome).toEqual(reference.outcome);
  const inMemory = await load(files, format, true, 'only');
  expect(inMemory.outcome).toEqual(reference.outcome);
  expect(inMemory.batched).toBe(joined.batched);
  // Files read from one joined file: held in memory only, they were never written one by one.
  return { ...batch, joinedFiles: files.length - inMemory.filesOnDisk.length };
}

const good = (n: number, from = 0) =>
  `id,name\n${Array.from({ length: n }, (_, i) => `${from + i},n${from + i}`).join('\n')}\n`;

describe('load step: small CSV files in one read', () => {
  it('good files: one read, no table per file, the same rows and row numbers', async () => {
    const files = [0, 1, 2, 3].map((i) => ({ key: `f${i}.csv`, body: good(3, i * 10) }));
    const result = await compare(files);
    expect(result.batched).toBe(true);
    expect(result.perFileTables).toBe(0);
    expect(result.outcome.rows).toHaveLength(12);
    expect(result.outcome.rows[3]).toEqual({ id: '10', name: 'n10', _ferry_file: 'f1.csv', _ferry_row: 4n });
  });

  it('a file with bad rows keeps its rejects (file, line, reason) and record map', async () => {
    const files = [
      { key: 'a.csv', body: good(2) },
      { key: 'b.csv', body: 'id,name\n1,x\n2,y,z\n\n3\n4,"two\nlines"\n5,w,v\n6,\n' },
      { key: 'c.csv', body: good(2, 7) },
    ];
    const result = await compare(files);
    expect(result.batched).toBe(true);
    expect(result.perFileTables).toBe(0);
    expect(result.outcome.rejects.map((r) => [r.file, r.line])).toEqual([
      ['b.csv', 3],
      ['b.csv', 5],
      ['b.csv', 7],
    ]);
  });

  it('a file over max_rejects fails as it does alone, after the files before it', async () => {
    const files = [
      { key: 'a.csv', body: 'id,name\n1,x\n2\n' },
      { key: 'b.csv', body: 'id,name\n1\n2\n3,y\n' },
      { key: 'c.csv', body: good(2) },
    ];
    const result = await compare(files, { maxRejects: { kind: 'count', value: 1 } });
    expect(result.outcome.error?.code).toBe('CSV_REJECTS_OVER_LIMIT');
    expect(result.outcome.rejectedRows).toHaveLength(3);
  });

  for (const emptyFile of ['skip', 'fail'] as const) {
    it(`an empty and a header-only file (empty_file: ${emptyFile})`, async () => {
      const files = [
        { key: 'a.csv', body: good(2) },
        { key: 'empty.csv', body: '' },
        { key: 'header-only.csv', body: 'id,name\n' },
        { key: 'b.csv', body: good(2, 5) },
      ];
      const result = await compare(files, { emptyFile });
      if (emptyFile === 'fail') expect(result.outcome.error?.code).toBe('CSV_EMPTY_FILE');
      else
        expect(result.outcome.warnings.map((w) => w.code)).toEqual([
          'SOURCE_FILE_EMPTY',
          'SOURCE_FILE_EMPTY',
        ]);
    });
  }

  it('a file with another header, or a leading blank line, is loaded on its own', async () => {
    const files = [
      { key: 'a.csv', body: good(2) },
      { key: 'other.csv', body: 'id,title\n1,t\n' },
      { key: 'blank.csv', body: '\nid,name\n9,b\n' },
      { key: 'b.csv', body: good(2, 5) },
    ];
    const result = await compare(files);
    expect(result.batched).toBe(true);
    expect(result.perFileTables).toBe(2);
    expect(result.outcome.columns).toEqual(['id', 'name', 'title']);
  });

  it('a record with empty fields past the last column is loaded on its own (DuckDB drops them)', async () => {
    const files = [
      { key: 'a.csv', body: good(2) },
      { key: 'trailing.csv', body: 'id,name\n1,x,\n2,y,,\n3,,\n4,z, \n' },
      { key: 'b.csv', body: good(2, 5) },
    ];
    const result = await compare(files);
    expect(result.perFileTables).toBe(1);
  });

  it('an unterminated quote at the end of a file is rejected as it is alone (DuckDB drops it in a list)', async () => {
    const files = [
      { key: 'a.csv', body: good(2) },
      { key: 'open.csv', body: 'id,name\n1,x\n2,"open\n' },
      { key: 'b.csv', body: good(2, 5) },
    ];
    const result = await compare(files);
    expect(result.outcome.rejects.map((r) => [r.file, r.line])).toEqual([['open.csv', 3]]);
  });

  it('quoted newlines, CRLF, a BOM, gzip and a quoted header', async () => {
    const files = [
      { key: 'a.csv', body: 'id,name\n1,"multi\nline ""quoted"""\n2,"a,b"\n' },
      { key: 'b.csv', body: 'id,name\r\n3,c\r\n\r\n4,d\r\n' },
      { key: 'c.csv', body: '\ufeffid,name\n5,e\n' },
      { key: 'd.csv.gz', body: gzipSync('id,name\n6,f\n7,g\n') },
      { key: 'e.csv.gz', body: gzipSync('id,name\n8,h\n') },
      { key: 'f.csv', body: '"id","name"\n9,i\n' },
    ];
    const result = await compare(files);
    expect(result.batched).toBe(true);
    expect(result.outcome.rows).toHaveLength(9);
  });

  it('groups read from one joined file: all CRLF, byte order marks, gzip, with ragged lines', async () => {
    const ragged = (eol: string, from: number) =>
      ['id,name', `${from},a`, `${from + 1}`, `${from + 2},"b${eol}c"`, ''].join(eol);
    const groups = [
      // The last file ends without its line break.
      [ragged('\r\n', 0), ragged('\r\n', 10), ragged('\r\n', 20).slice(0, -2)],
      [`\ufeff${ragged('\n', 0)}`, ragged('\n', 10), `\ufeff${ragged('\n', 20)}`],
      [gzipSync(ragged('\n', 0)), gzipSync(`\ufeff${ragged('\n', 10)}`), gzipSync(ragged('\n', 20))],
    ];
    for (const bodies of groups) {
      const files = bodies.map((body, i) => ({
        key: `f${i}.csv${typeof body === 'string' ? '' : '.gz'}`,
        body,
      }));
      const result = await compare(files);
      expect(result.joinedFiles).toBe(files.length);
      expect(result.outcome.rejects.map((r) => [r.file, r.line])).toEqual(files.map((f) => [f.key, 3]));
    }
  });

  it('zstd files are read joined where Node decompresses zstd (22.15+), else each on its own', async () => {
    // ragged('\n', 0), ragged('\n', 10) and ragged('\n', 20) of the test above, by the zstd tool.
    const frames = [
      '28b52ffd0458b1000069642c6e616d650a302c610a310a322c22620a63220aae7fd1e8',
      '28b52ffd0458c9000069642c6e616d650a31302c610a31310a31322c22620a63220a3306682f',
      '28b52ffd0458c9000069642c6e616d650a32302c610a32310a32322c22620a63220a650151a9',
    ];
    const files = frames.map((hex, i) => ({ key: `f${i}.csv.zst`, body: Buffer.from(hex, 'hex') }));
    const result = await compare(files);
    expect(result.joinedFiles).toBe(zstdFactory() === undefined ? 0 : files.length);
    expect(result.outcome.rows).toHaveLength(6);
    expect(result.outcome.rejects.map((r) => [r.file, r.line])).toEqual(files.map((f) => [f.key, 3]));
  });

  it.each([
    {
      what: 'whose lines end both ways is loaded on its own, from its LF copy',
      key: 'mixed.csv',
      body: 'id,name\r\n10,"x\r\ny"\n11,b\n12\r\n',
      rows: [
        { id: '10', name: 'x\r\ny' },
        { id: '11', name: 'b' },
      ],
      rejectLine: 4,
      code: 'CSV_MIXED_LINE_BREAKS',
      message: 'mixed.csv ends 2 lines with CRLF',
    },
    {
      what: 'with a CR alone outside quotes is loaded on its own, the CR in its value',
      key: 'stray.csv',
      body: 'id,name\n10,x\ry\n11\n12,b\n',
      rows: [
        { id: '10', name: 'x\ry' },
        { id: '12', name: 'b' },
      ],
      rejectLine: 3,
      code: 'CSV_STRAY_CARRIAGE_RETURNS',
      message:
        'stray.csv has 1 carriage return (CR) outside quotes that ends no line (the first on line 2), which ferry kept inside its value',
    },
  ])('a file $what, with a warning', async ({ key, body, rows, rejectLine, code, message }) => {
    const files = [
      { key: 'a.csv', body: good(2) },
      { key, body },
      { key: 'b.csv', body: good(2, 5) },
    ];
    const result = await compare(files);
    const loaded = result.outcome.rows as Array<Record<string, unknown>>;
    expect(loaded.filter((row) => row['_ferry_file'] === key)).toMatchObject(rows);
    expect(result.outcome.rejects.map((r) => [r.file, r.line])).toEqual([[key, rejectLine]]);
    expect(result.outcome.warnings).toEqual([
      expect.objectContaining({ code, message: expect.stringContaining(message) }),
    ]);
  });

  it('encoding errors and a line over max_line_size fail as they do alone', async () => {
    const latin = Buffer.concat([Buffer.from('id,name\n1,'), Buffer.from([0xe9]), Buffer.from('\n')]);
    const encoding = await compare([
      { key: 'a.csv', body: good(2) },
      { key: 'b.csv', body: good(2) },
      { key: 'latin.csv', body: latin },
    ]);
    expect(encoding.outcome.error?.code).toBe('CSV_ENCODING');
    const long = await compare(
      [
        { key: 'a.csv', body: good(2) },
        { key: 'long.csv', body: `id,name\n1,${'x'.repeat(40)}\n` },
        { key: 'b.csv', body: good(2) },
      ],
      { maxLineBytes: 32 },
    );
    expect(long.outcome.error?.code).toBe('CSV_LINE_TOO_LONG');
  });

  it('without a header, with and without source.format.columns', async () => {
    const files = [
      { key: 'a.csv', body: '1,x\n2,y\n' },
      { key: 'b.csv', body: '3,z\n4\n' },
    ];
    expect((await compare(files, { header: false })).batched).toBe(true);
    expect((await compare(files, { header: false, columns: ['id', 'name'] })).batched).toBe(true);
    const headed = [
      { key: 'a.csv', body: 'id,name\n1,x\n' },
      { key: 'b.csv', body: 'id,name\n3,z\n4\n' },
    ];
    expect((await compare(headed, { columns: ['k', 'v'] })).batched).toBe(true);
  });

  it('latin-1 and a null string, in the header and in the data', async () => {
    const latin = (text: string) => Buffer.from(text, 'latin1');
    const files = [
      { key: 'a.csv', body: latin('id,café,NULL\n1,é,NULL\n2,,x\n') },
      { key: 'b.csv', body: latin('id,café,NULL\n3,ü,"NULL"\n') },
    ];
    const result = await compare(files, { encoding: 'latin-1', nullString: 'NULL' });
    expect(result.batched).toBe(true);
    expect(result.outcome.columns).toEqual(['id', 'café', 'NULL']);
  });

  it('generated mixes: the same outcome as file by file', async () => {
    let batched = 0;
    let joined = 0;
    for (let seed = 1; seed <= 16; seed += 1) {
      const random = createRandom(seed);
      // Some mixes have one line break for all their files (a group then joins), others one per file.
      const eol = random() < 0.4 ? (random() < 0.5 ? '\r\n' : '\n') : undefined;
      const files = Array.from({ length: 2 + Math.floor(random() * 6) }, (_, i) =>
        generateFile(random, i, eol),
      );
      const format: Partial<CsvFormat> = {
        emptyFile: random() < 0.5 ? 'skip' : 'fail',
        maxRejects: { kind: 'count', value: Math.floor(random() * 4) },
        ...(random() < 0.2 ? { header: false } : {}),
      };
      const result = await compare(files, format);
      if (result.batched) batched += 1;
      if (result.joinedFiles > 0) joined += 1;
    }
    // The mixes must exercise the batch path, not only the fallback, and its joined read.
    expect(batched).toBeGreaterThanOrEqual(6);
    expect(joined).toBeGreaterThanOrEqual(3);
  });
});

const RECORDS = [
  (i: number) => `${i},v,`,
  (i: number) => `${i},,`,
  (i: number) => `${i},v${i}`,
  (i: number) => `${i},"q,${i}"`,
  (i: number) => `${i},"two\nlines ${i}"`,
  (i: number) => `${i},"say ""${i}"""`,
  (i: number) => `${i}`,
  (i: number) => `${i},a,b`,
  () => '',
  (i: number) => `${i},`,
  (i: number) => `${i},"bad"x`,
  (i: number) => `${i},a"b${i}`,
  (i: number) => `${i},x\ry${i}`,
];

function generateFile(random: () => number, index: number, groupEol?: string): SourceFile {
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)] as T;
  const kind = random();
  const key = `f${index}.csv`;
  if (kind < 0.05) return { key, body: '' };
  if (kind < 0.1) return { key, body: 'id,name\n' };
  const header = kind < 0.15 ? 'id,title' : kind < 0.2 ? '\nid,name' : 'id,name';
  // Mostly good records; now and then one of the others.
  const lines = Array.from({ length: 1 + Math.floor(random() * 5) }, (_, i) =>
    random() < 0.7 ? `${i},v${i}` : pick(RECORDS)(i),
  );
  const tail = random() < 0.1 ? `\n9,"open` : '';
  const eol = groupEol ?? (random() < 0.2 ? '\r\n' : random() < 0.1 ? '\r\r\n' : '\n');
  const text = `${[header, ...lines].join(eol)}${eol}${tail}`;
  return random() < 0.2 ? { key: `${key}.gz`, body: gzipSync(text) } : { key, body: text };
}
