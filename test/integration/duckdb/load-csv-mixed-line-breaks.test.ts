/**
 * A CSV file whose lines end both ways (LF and CRLF) is read wrong or not at all by DuckDB; loadCsv
 * reads a copy with every CRLF outside quotes made LF (normalize-line-breaks.ts). Real DuckDB and real
 * files. `crlf-then-lf.csv` below is one DuckDB read as one row of garbage and a reject before.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadCsv } from '../../../engine/duckdb/load-csv.js';
import type { CsvDialect } from '../../../engine/duckdb/normalize-csv-dialect.js';
import { writeWithLfLineBreaks } from '../../../engine/duckdb/normalize-line-breaks.js';
import { ferryErrorOf, openTestSession, type DuckDbTestSession } from './duckdb-test-session.js';
import { COMMA_CSV } from '../../harness/csv-dialects.js';

let t: DuckDbTestSession;
beforeEach(async () => {
  t = await openTestSession();
});
afterEach(async () => {
  await t.close();
});

async function load(name: string, content: string | Buffer, dialect: Partial<CsvDialect> = {}) {
  const path = await t.write(name, content);
  const result = await loadCsv(t.session, {
    path,
    table: `t_${name.replace(/\W/g, '_')}`,
    displayName: `s3://vendor/${name}`,
    dialect: { ...COMMA_CSV, ...dialect },
    maxRejects: { kind: 'count', value: 10 },
  });
  const rows = await t.session.all(`SELECT * FROM "${result.table}" ORDER BY rowid`);
  return { result, rows };
}

describe('loadCsv, lines that end both ways', () => {
  it('reads an LF header with CRLF rows, and the reverse, as the same file with LF breaks', async () => {
    const reference = await load('lf.csv', 'id,note\n1,"a\r\nb"\n2\n3,c\n');
    expect(reference.result.crlfMadeLf).toBeUndefined();
    for (const [name, body, changed] of [
      ['lf-then-crlf.csv', 'id,note\n1,"a\r\nb"\r\n2\r\n3,c\n', 2],
      ['crlf-then-lf.csv', 'id,note\r\n1,"a\r\nb"\n2\n3,c\r\n', 2],
    ] as const) {
      const { result, rows } = await load(name, body);
      // The same rows (the quoted CRLF kept), the same reject on the same line.
      expect(rows).toEqual(reference.rows);
      expect(rows[0]).toEqual({ id: '1', note: 'a\r\nb' });
      expect([result.rowsLoaded, result.rowsRejected, result.rejects.map((r) => [r.line, r.reason])]).toEqual(
        [2, 1, [[3, 'missing-columns']]],
      );
      expect(result.crlfMadeLf).toBe(changed);
    }
    // The copy is gone once loaded.
    expect(await readFile(join(t.dir, 'lf-then-crlf.csv.lf')).catch(() => 'gone')).toBe('gone');
  });

  it('reads a gzip file so, and a backslash escape keeps its quote', async () => {
    const { result, rows } = await load('mixed.csv.gz', gzipSync('id,note\n1,"x\\"\r\n"\r\n2,y\n'), {
      compression: 'gzip',
      escape: '\\',
    });
    expect(rows).toEqual([
      { id: '1', note: 'x"\r\n' },
      { id: '2', note: 'y' },
    ]);
    expect(result.crlfMadeLf).toBe(1);
  });

  it('still fails a file with a lone CR, naming the object, not the copy', async () => {
    // A lone CR outside quotes is no line break ferry changes: the LF copy fails DuckDB's read too.
    const error = await ferryErrorOf(() => load('lone-cr.csv', 'id,note\n1,a\rb\n2,c\r\n'));
    expect(error.code).toBe('CSV_READ_FAILED');
    expect(error.message).toContain('s3://vendor/lone-cr.csv');
    expect(error.message).not.toContain('.lf');
    expect(await readFile(join(t.dir, 'lone-cr.csv.lf')).catch(() => 'gone')).toBe('gone');
  });
});

describe('writeWithLfLineBreaks', () => {
  const options = { compression: 'none', encoding: 'utf-8', quote: '"', escape: '"' } as const;
  const copy = async (content: string | Buffer) => {
    const path = await t.write('in.csv', content);
    const dest = join(t.dir, 'in.csv.lf');
    const changed = await writeWithLfLineBreaks(path, dest, options);
    const written = await readFile(dest, 'latin1').catch(() => undefined);
    return { changed, written };
  };

  it('writes nothing when the line breaks outside quotes are all of one kind', async () => {
    expect(await copy('a,b\n1,2\n')).toEqual({ changed: undefined, written: undefined });
    expect(await copy('a,b\r\n1,2\r\n')).toEqual({ changed: undefined, written: undefined });
    // CRLF only inside a quoted value of an LF file: DuckDB reads it as it is.
    expect(await copy('a,b\n1,"x\r\ny"\n')).toEqual({ changed: undefined, written: undefined });
  });

  it('makes every CRLF outside quotes an LF, also across read chunks', async () => {
    // The first read chunk is 1 MiB: the CR of a CRLF ends it and the LF starts the next.
    const head = 'a,b\n';
    const filler = `1,${'x'.repeat(1024 * 1024 - head.length - 3)}`;
    const body = `${head}${filler}\r\n2,"q\r\n"\r\n3,z\n`;
    expect(Buffer.byteLength(`${head}${filler}\r`)).toBe(1024 * 1024);
    const { changed, written } = await copy(body);
    expect(changed).toBe(2);
    expect(written).toBe(`${head}${filler}\n2,"q\r\n"\n3,z\n`);
  });
});
