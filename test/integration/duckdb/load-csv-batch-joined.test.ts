/**
 * The joined read of a CSV batch (load-csv-batch-joined.ts): which groups it takes, and that it gives
 * a group up (undefined, so the caller reads the files separately) whenever DuckDB's rows or rejects
 * are not where the Node scan put them. Its outcomes against the one-file loads are compared in
 * load-csv-batch.test.ts; here the scan's figures are altered on purpose to show the checks hold.
 */
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DuckDbSession } from '../../../engine/duckdb/create-duckdb-session.js';
import { canJoinCsvGroup, loadJoinedCsvGroup } from '../../../engine/duckdb/load-csv-batch-joined.js';
import { loadCsv } from '../../../engine/duckdb/load-csv.js';
import type { CsvReject } from '../../../engine/duckdb/summarize-csv-rejects.js';
import { normalizeCsvDialect } from '../../../engine/duckdb/normalize-csv-dialect.js';
import { readCsvBatchPlan, type CsvBatchGroup } from '../../../engine/duckdb/read-csv-batch-plan.js';
import { openTestSession, type DuckDbTestSession } from './duckdb-test-session.js';
import { COMMA_CSV } from '../../harness/csv-dialects.js';

const DIALECT = normalizeCsvDialect(COMMA_CSV, '');
const OPTIONS = { dialect: DIALECT, maxLineBytes: 1 << 20, maxRejectDetails: 100 };

let dir: string;
let session: DuckDbSession;
let opened: DuckDbTestSession;
beforeEach(async () => {
  opened = await openTestSession();
  ({ dir, session } = opened);
});
afterEach(() => opened.close());

/** The batch plan of `bodies`, their bytes at hand and nothing on disk, as the fetch step leaves them. */
async function groupOf(bodies: ReadonlyArray<string | Buffer>): Promise<CsvBatchGroup> {
  const groups = await readCsvBatchPlan(
    bodies.map((body, index) => {
      const bytes = Buffer.from(body);
      return { index, path: join(dir, `in-${index}`), key: `f${index}.csv`, size: bytes.length, bytes };
    }),
    { dialect: DIALECT, declaredCompression: 'auto', maxLineBytes: 1 << 20 },
  );
  expect(groups).toHaveLength(1);
  const [group] = groups;
  if (group === undefined) throw new Error('no group');
  return group;
}

/** The rows each passed file has in the batch table, in rowid order. */
async function rowsOf(passed: NonNullable<Awaited<ReturnType<typeof loadJoinedCsvGroup>>>) {
  const rows: Record<number, string[]> = {};
  for (const [index, file] of passed) {
    const [idColumn] = file.staging;
    const found = await session.all(
      `SELECT "${idColumn}" AS id FROM "${file.table}" WHERE rowid BETWEEN ${file.firstRowid} AND ${file.lastRowid} ORDER BY rowid`,
    );
    rows[index] = found.map((row) => row['id'] as string);
  }
  return rows;
}

const BODIES = ['id,name\n1,a\n2,b\n', 'id,name\n3,c\n4\n\n5,"e\nf"\n6,g,h\n7,i', 'id,name\n8,j\n'];

describe('a CSV batch read from one joined file', () => {
  it('places every file: its rows, and its ragged lines numbered as in the file', async () => {
    const passed = await loadJoinedCsvGroup(session, await groupOf(BODIES), OPTIONS);
    expect(passed?.map(([index, file]) => [index, file.rowsLoaded, file.rowsRejected])).toEqual([
      [0, 2, 0],
      [1, 3, 2],
      [2, 1, 0],
    ]);
    expect(await rowsOf(passed ?? [])).toEqual({ 0: ['1', '2'], 1: ['3', '5', '7'], 2: ['8'] });
    expect(passed?.[1]?.[1].rejects.map((r) => [r.line, r.reason])).toEqual([
      [3, 'missing-columns'],
      [6, 'too-many-columns'],
    ]);
    // The joined file is gone once read; the files themselves were never written.
    expect(await readdir(dir)).not.toContainEqual(expect.stringMatching(/csv-batch|^in-/));
  });

  it('writes a joined file of several pieces (over 1 MiB) whole', async () => {
    const big = (from: number) =>
      `id,name\n${Array.from({ length: 40_000 }, (_, i) => `${from + i},${'n'.repeat(10)}`).join('\n')}\n`;
    const passed = await loadJoinedCsvGroup(
      session,
      await groupOf([big(0), big(40_000), 'id,name\n9,z']),
      OPTIONS,
    );
    expect(passed?.map(([index, file]) => [index, file.rowsLoaded])).toEqual([
      [0, 40_000],
      [1, 40_000],
      [2, 1],
    ]);
    const [last] = await session.all(
      `SELECT "${passed?.[2]?.[1].staging[0]}" AS id FROM "${passed?.[2]?.[1].table}" WHERE rowid = ${passed?.[2]?.[1].lastRowid}`,
    );
    expect(last?.['id']).toBe('9');
  });

  it('gives the group up when the files have a row more or less than their scans said', async () => {
    // The last file: no file after it would start in the wrong place, only the total tells.
    const group = await groupOf(BODIES);
    const last = group.files[2];
    if (last === undefined) throw new Error('no file');
    last.rowsLoaded += 1;
    expect(await loadJoinedCsvGroup(session, group, OPTIONS)).toBeUndefined();
  });

  it('gives the group up when a ragged line is not where its scan said', async () => {
    const group = await groupOf(BODIES);
    const middle = group.files[1];
    if (middle === undefined) throw new Error('no file');
    middle.rejectedLines = middle.rejectedLines.map((line) => line + 1);
    expect(await loadJoinedCsvGroup(session, group, OPTIONS)).toBeUndefined();
  });

  it('gives the group up when a file starts elsewhere than its header row', async () => {
    const group = await groupOf(BODIES);
    const [first, second] = group.files;
    if (first === undefined || second === undefined) throw new Error('no file');
    // The same total, split differently: the second file's header is no longer where it starts.
    first.rowsLoaded += 1;
    second.rowsLoaded -= 1;
    expect(await loadJoinedCsvGroup(session, group, OPTIONS)).toBeUndefined();
  });

  it('takes files at hand whose line breaks are all LF or all CRLF, byte order marks and gzip included', async () => {
    expect(canJoinCsvGroup(await groupOf(BODIES))).toBe(true);
    expect(canJoinCsvGroup(await groupOf(['id,name\r\n1,a\r\n', 'id,name\r\n2,"b\r\nc"\r\n3,d']))).toBe(true);
    expect(canJoinCsvGroup(await groupOf(['\ufeffid,name\n1,a\n', 'id,name\n2,b\n']))).toBe(true);
    // A file without a line break goes with either kind.
    expect(canJoinCsvGroup(await groupOf(['id,name', 'id,name\r\n2,b\r\n']))).toBe(true);
    const gzipped = await groupOf([gzipSync('id,name\n1,a\n'), gzipSync('id,name\n2,b\n')]);
    expect(gzipped.compression).toBe('gzip');
    expect(canJoinCsvGroup(gzipped)).toBe(true);
    // Not: LF and CRLF files together, one file with both, a CR in a quoted value of an LF file.
    expect(canJoinCsvGroup(await groupOf(['id,name\r\n1,a\r\n', 'id,name\n2,b\n']))).toBe(false);
    expect(canJoinCsvGroup(await groupOf(['id,name\r\n1,a\n', 'id,name\r\n2,b\r\n']))).toBe(false);
    expect(canJoinCsvGroup(await groupOf(['id,name\n1,"a\r\nb"\n', 'id,name\n2,b\n']))).toBe(false);
    // Nor a file whose bytes neither the fetch step nor the scan kept.
    const onDisk = await groupOf(BODIES);
    delete onDisk.files[0]?.bytes;
    expect(canJoinCsvGroup(onDisk)).toBe(false);
  });

  it('renumbers the rejects of CRLF, byte-order-marked and gzip files as loadCsv reports them alone', async () => {
    // The second file of each pair has a row more, so its ragged line is line 4.
    const ragged = (prefix: string, eol: string, more = false) =>
      `${prefix}id,name${eol}${more ? `0,z${eol}` : ''}1,a${eol}2${eol}3,c${eol}`;
    const cases: Array<Array<string | Buffer>> = [
      [ragged('', '\r\n'), ragged('', '\r\n', true)],
      [ragged('\ufeff', '\n'), ragged('\ufeff', '\n', true)],
      [gzipSync(ragged('', '\n')), gzipSync(ragged('\ufeff', '\n', true))],
    ];
    let n = 0;
    for (const bodies of cases) {
      const passed = await loadJoinedCsvGroup(session, await groupOf(bodies), OPTIONS);
      expect(passed).toHaveLength(2);
      // The reference: each file on its own, by the one-file loader.
      for (const [index, file] of passed ?? []) {
        const gzip = Buffer.from(bodies[index] ?? '')[0] === 0x1f;
        const name = `alone-${(n += 1)}.csv${gzip ? '.gz' : ''}`;
        const path = join(dir, name);
        await writeFile(path, bodies[index] ?? '');
        const alone = await loadCsv(session, {
          path,
          table: `alone_${n}`,
          displayName: name,
          dialect: { ...COMMA_CSV, compression: gzip ? 'gzip' : 'none' },
        });
        // Every field but the column, which each read names with its own staging name.
        const details = (rejects: CsvReject[]) => rejects.map(({ column: _column, ...rest }) => rest);
        expect([file.rowsLoaded, file.rowsRejected, details(file.rejects)]).toEqual([
          alone.rowsLoaded,
          alone.rowsRejected,
          details(alone.rejects),
        ]);
        expect(file.rejects.map((r) => r.line)).toEqual([index === 0 ? 3 : 4]);
      }
    }
  });
});
