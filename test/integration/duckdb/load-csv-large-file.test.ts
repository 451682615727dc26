/**
 * A CSV file larger than DuckDB's default read buffer (32 MB) is read with 64 MiB buffers (load-csv.ts,
 * largeFileBuffer): the rows still come in file order, and rejects keep their lines, whether the bad
 * record or a quoted line break lies before or after a buffer boundary. Small and compressed files
 * keep DuckDB's default.
 */
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { compileReadCsv } from '../../../engine/duckdb/compile-read-csv.js';
import { LARGE_FILE_BUFFER_BYTES, largeFileBuffer, loadCsv } from '../../../engine/duckdb/load-csv.js';
import { probeCsvFirstRecord } from '../../../engine/duckdb/probe-csv-first-record.js';
import { openTestSession, type DuckDbTestSession } from './duckdb-test-session.js';
import { COMMA_CSV } from '../../harness/csv-dialects.js';

const MAX_LINE = 2_000_000;
const PAD = 'x'.repeat(300);

let t: DuckDbTestSession;
beforeEach(async () => {
  t = await openTestSession();
});
afterEach(async () => {
  await t.close();
});

/**
 * About 40 MB: `rows` records `id,note`, record 1000 ragged, the record at about 33.6 MB (past the
 * first 32 MB) ragged too, and one record with a quoted line break just before 32 MiB.
 */
function largeCsv(): { text: string; rows: number; ragged: number[]; quoted: number } {
  const lines = ['id,note'];
  const ragged: number[] = [];
  let quoted = 0;
  let bytes = 8;
  for (let id = 1; bytes < 40_000_000; id++) {
    let line = `${id},${PAD}`;
    if (id === 1000 || (ragged.length === 1 && bytes > 33_600_000)) {
      line = `${id},${PAD},extra`;
      ragged.push(id);
    } else if (quoted === 0 && bytes > 33_554_000) {
      line = `${id},"${PAD}\n${PAD}"`;
      quoted = id;
    }
    lines.push(line);
    bytes += Buffer.byteLength(line) + 1;
  }
  return { text: `${lines.join('\n')}\n`, rows: lines.length - 1, ragged, quoted };
}

describe('loadCsv of a file larger than the default buffer', () => {
  it('reads with 64 MiB buffers, rows in file order, rejects on their lines', async () => {
    const { text, rows, ragged, quoted } = largeCsv();
    const path = await t.write('large.csv', text);
    expect(await largeFileBuffer(path, 'none', MAX_LINE)).toBe(LARGE_FILE_BUFFER_BYTES);
    const result = await loadCsv(t.session, {
      path,
      table: 'loaded',
      displayName: 's3://vendor/large.csv',
      dialect: COMMA_CSV,
      maxRejects: { kind: 'count', value: 10 },
    });
    expect(result.rowsLoaded).toBe(rows - ragged.length);
    expect(result.rowsRejected).toBe(ragged.length);
    // A record's line counts records (header = 1): id N is on line N + 1.
    expect(result.rejects.map((r) => r.line)).toEqual(ragged.map((id) => id + 1));
    // File order: ids rise with rowid, none missing but the rejected ones; the quoted break kept.
    const [check] = await t.session.all(
      `SELECT count(*) AS n, count(*) FILTER (WHERE id <= before) AS out_of_order, sum(id) AS total,
              count(*) FILTER (WHERE id = ${quoted} AND contains(note, chr(10))) AS quoted
         FROM (SELECT CAST(id AS BIGINT) AS id, note, lag(CAST(id AS BIGINT)) OVER (ORDER BY rowid) AS before FROM loaded)`,
    );
    const total = (rows * (rows + 1)) / 2 - ragged.reduce((sum, id) => sum + id, 0);
    expect(check).toEqual({
      n: BigInt(rows - ragged.length),
      out_of_order: 0n,
      total: BigInt(total),
      quoted: 1n,
    });
  });

  it('small and compressed files keep the default buffer; the line size still sets it when larger', async () => {
    const small = await t.write('small.csv', 'id\n1\n');
    expect(await largeFileBuffer(small, 'none', MAX_LINE)).toBeUndefined();
    const gz = await t.write('large.csv.gz', gzipSync(Buffer.from(largeCsv().text)));
    expect(await largeFileBuffer(gz, 'gzip', MAX_LINE)).toBeUndefined();
    const read = (bufferBytes: number | undefined, maxLineBytes = MAX_LINE) =>
      compileReadCsv({
        path: small,
        dialect: { ...COMMA_CSV, nullString: '' },
        columns: ['id'],
        maxLineBytes,
        ...(bufferBytes !== undefined ? { bufferBytes } : {}),
      });
    expect(read(undefined)).not.toContain('buffer_size');
    expect(read(LARGE_FILE_BUFFER_BYTES)).toContain(`buffer_size = ${LARGE_FILE_BUFFER_BYTES}`);
    expect(read(LARGE_FILE_BUFFER_BYTES, 64_000_000)).toContain('buffer_size = 128000000');
  });

  it('the first-record probe reads two lines worth, and still gets a header near max_line_size whole', async () => {
    const probe = compileReadCsv({
      path: 'x.csv',
      dialect: { ...COMMA_CSV, nullString: '' },
      columns: ['c1'],
      maxLineBytes: MAX_LINE,
      probe: true,
    });
    expect(probe).toContain(`buffer_size = ${2 * MAX_LINE}`);
    // A 1.9 MB header record with a quoted line break, in a file three times the probe's buffer.
    const long = `long\n${'h'.repeat(1_900_000)}`;
    const rows = Array.from({ length: 40_000 }, (_, i) => `${i},${PAD}`).join('\n');
    const path = await t.write('long-header.csv', `id,"${long}"\n${rows}\n`);
    const fields = await probeCsvFirstRecord(t.session, {
      path,
      displayName: 'long-header.csv',
      dialect: { ...COMMA_CSV, nullString: '' },
      maxLineBytes: MAX_LINE,
    });
    expect(fields).toEqual(['id', long]);
  });
});
