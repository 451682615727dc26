/**
 * The joined read of a CSV batch (load-csv-batch-joined.ts): which groups it takes, and that it gives
 * a group up (undefined, so the caller reads the files separately) whenever DuckDB's rows or rejects
 * are not where the Node scan put them. Its outcomes against the one-file loads are compared in
 * load-csv-batch.test.ts; here the scan's figures are altered on purpose to show the checks hold.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DuckDbSession } from '../../../engine/duckdb/create-duckdb-session.js';
import { canJoinCsvGroup, loadJoinedCsvGroup } from '../../../engine/duckdb/load-csv-batch-joined.js';
import { normalizeCsvDialect } from '../../../engine/duckdb/normalize-csv-dialect.js';
import { readCsvBatchPlan, type CsvBatchGroup } from '../../../engine/duckdb/read-csv-batch-plan.js';
import { openTestSession, type DuckDbTestSession } from './duckdb-test-session.js';

const DIALECT = normalizeCsvDialect(
  {
    delimiter: ',',
    quote: '"',
    escape: '"',
    header: true,
    encoding: 'utf-8',
    compression: 'none',
    emptyFile: 'skip',
  },
  '',
);
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

  it('takes only uncompressed files at hand without a carriage return or a byte order mark', async () => {
    expect(canJoinCsvGroup(await groupOf(BODIES))).toBe(true);
    expect(canJoinCsvGroup(await groupOf(['id,name\r\n1,a\r\n', 'id,name\n2,b\n']))).toBe(false);
    expect(canJoinCsvGroup(await groupOf(['\ufeffid,name\n1,a\n', 'id,name\n2,b\n']))).toBe(false);
    const gzipped = await groupOf([gzipSync('id,name\n1,a\n'), gzipSync('id,name\n2,b\n')]);
    expect(gzipped.compression).toBe('gzip');
    expect(canJoinCsvGroup(gzipped)).toBe(false);
    const onDisk = await groupOf(BODIES);
    delete onDisk.files[0]?.bytes;
    expect(canJoinCsvGroup(onDisk)).toBe(false);
  });
});
