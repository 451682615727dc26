/**
 * A CSV file whose lines end both ways (LF and CRLF) is read wrong or not at all by DuckDB, and one
 * with a CR alone outside quotes not at all; loadCsv reads a copy with every CRLF outside quotes made
 * LF and each CR alone inside its value (normalize-line-breaks.ts). Real DuckDB and real files.
 * `crlf-then-lf.csv` below is one DuckDB read as one row of garbage and a reject before.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadCsv } from '../../../engine/duckdb/load-csv.js';
import type { CsvDialect } from '../../../engine/duckdb/normalize-csv-dialect.js';
import { writeNormalizedCsv } from '../../../engine/duckdb/normalize-line-breaks.js';
import { ferryErrorOf, openTestSession, type DuckDbTestSession } from './duckdb-test-session.js';
import { COMMA_CSV } from '../../harness/csv-dialects.js';
import { createRandom } from './load-step-batch-harness.js';

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

  it('tells quotes apart as DuckDB does: opening a value (after spaces too), doubled, or inside one', async () => {
    // A quote inside an unquoted value is part of it; one after spaces opens the value; "" is a quote.
    const lf = 'id,note\n1,ab"c\n2, "x\r\ny"\n3,"p"",q"\n4,e\n';
    const reference = await load('quotes-lf.csv', lf);
    expect(reference.rows).toEqual([
      { id: '1', note: 'ab"c' },
      { id: '2', note: 'x\r\ny' },
      { id: '3', note: 'p",q' },
      { id: '4', note: 'e' },
    ]);
    const mixed = await load('quotes-mixed.csv', 'id,note\r\n1,ab"c\n2, "x\r\ny"\r\n3,"p"",q"\n4,e\r\n');
    expect(mixed.rows).toEqual(reference.rows);
    expect(mixed.result.crlfMadeLf).toBe(3);
    // A CR alone in a value that holds a quote too: quoted in the copy, its quote doubled.
    const stray = await load('quotes-stray.csv', 'id,note\n1,ab"c\n2, "x\r\ny"\n3,"p"",q"\n4,e"\rf\n');
    expect(stray.rows).toEqual([...reference.rows.slice(0, 3), { id: '4', note: 'e"\rf' }]);
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
});

describe('loadCsv, a CR alone outside quotes', () => {
  it('reads it as part of its value, as if the value were quoted, in LF and CRLF files', async () => {
    // DuckDB stops at each of these files ("invalid state", strict or not).
    for (const [name, body] of [
      ['lf.csv', 'id,note,n\n1,a\rb,x\n2,\r,y\n3,c,z\n'],
      ['crlf.csv', 'id,note,n\r\n1,a\rb,x\r\n2,\r,y\r\n3,c,z\r\n'],
    ] as const) {
      const { result, rows } = await load(name, body);
      expect(rows).toEqual([
        { id: '1', note: 'a\rb', n: 'x' },
        { id: '2', note: '\r', n: 'y' },
        { id: '3', note: 'c', n: 'z' },
      ]);
      expect(result.strayCrs).toEqual({ count: 2, firstLine: 2, finalCrMadeLf: false, crCrLfLines: 0 });
      expect(result.crlfMadeLf).toBeUndefined();
    }
    expect(await readFile(join(t.dir, 'lf.csv.lf')).catch(() => 'gone')).toBe('gone');
  });

  it('keeps the line numbers of rejects, the quoted CRs and a backslash escape, gzip too', async () => {
    const body = 'id,note\n1,"q\rr"\n2,a\\b\rc\n3\n4,d\re\n';
    const { result, rows } = await load('escaped.csv.gz', gzipSync(body), {
      compression: 'gzip',
      escape: '\\',
    });
    expect(rows).toEqual([
      { id: '1', note: 'q\rr' },
      { id: '2', note: 'a\\b\rc' },
      { id: '4', note: 'd\re' },
    ]);
    expect([result.rowsRejected, result.rejects.map((r) => [r.line, r.reason])]).toEqual([
      1,
      [[4, 'missing-columns']],
    ]);
    expect(result.strayCrs).toEqual({ count: 2, firstLine: 3, finalCrMadeLf: false, crCrLfLines: 0 });
  });

  it('reads a CR alone at the very end of the file as the last line break', async () => {
    const { result, rows } = await load('end.csv', 'id,note\n1,a\n2,b\r');
    expect(rows).toEqual([
      { id: '1', note: 'a' },
      { id: '2', note: 'b' },
    ]);
    expect(result.strayCrs).toEqual({ count: 0, firstLine: undefined, finalCrMadeLf: true, crCrLfLines: 0 });
  });

  it('with both kinds of line break as well: one copy does both', async () => {
    const { result, rows } = await load('both.csv', 'id,note\r\n1,a\rb\n2,c\r\n');
    expect(rows).toEqual([
      { id: '1', note: 'a\rb' },
      { id: '2', note: 'c' },
    ]);
    expect(result.crlfMadeLf).toBe(2);
    expect(result.strayCrs?.count).toBe(1);
  });

  it('reads CR CR LF (a CRLF written in text mode, as Python on Windows does) as one line break', async () => {
    // DuckDB called the header badly quoted (CSV_BAD_HEADER).
    const { result, rows } = await load('python.csv', 'id,note\r\r\n1,"a\r\r\nb"\r\r\n2,c\r\r\n3\r\r\n');
    expect(rows).toEqual([
      { id: '1', note: 'a\r\r\nb' },
      { id: '2', note: 'c' },
    ]);
    // DuckDB numbers the record `3` line 4, as it does in the file read alone with CRLFs.
    expect(result.rejects.map((r) => [r.line, r.reason])).toEqual([[4, 'missing-columns']]);
    expect(result.strayCrs).toEqual({ count: 0, firstLine: undefined, finalCrMadeLf: false, crCrLfLines: 4 });
  });

  it('leaves a CR alone after a quoted value to DuckDB, which rejects that record', async () => {
    const { result, rows } = await load('after-quote.csv', 'id,note\n1,a\n2,"b"\rc\n');
    expect(rows).toEqual([{ id: '1', note: 'a' }]);
    expect(result.rejects.map((r) => [r.line, r.reason])).toEqual([[3, 'bad-quoting']]);
    expect(result.strayCrs).toBeUndefined();
  });

  it('fails one it cannot place (a delimiter of two bytes), naming the object and the line, not the copy', async () => {
    const error = await ferryErrorOf(() => load('two-byte.csv', 'id~~note\n1~~a\rb\n', { delimiter: '~~' }));
    expect(error.code).toBe('CSV_READ_FAILED');
    expect(error.message).toContain('s3://vendor/two-byte.csv: line 2 holds a carriage return');
    expect(error.message).not.toContain('.lf');
    expect(error.hint).toContain('quote that value');
    expect(await readFile(join(t.dir, 'two-byte.csv.lf')).catch(() => 'gone')).toBe('gone');
  });

  it('leaves a file of CR line breaks (an old Mac export) to DuckDB, which reads it', async () => {
    const { result, rows } = await load('mac.csv', 'id,note\r1,a\r2,"b\rc"\r');
    expect(rows).toEqual([
      { id: '1', note: 'a' },
      { id: '2', note: 'b\rc' },
    ]);
    expect(result.strayCrs).toBeUndefined();
    // Excel's "Macintosh" CSV: CR line breaks, and an LF for a line break inside a cell (quoted).
    const excel = await load('mac-excel.csv', 'id,note\r1,"a\nb"\r2,c\r');
    expect(excel.rows).toEqual([
      { id: '1', note: 'a\nb' },
      { id: '2', note: 'c' },
    ]);
    expect(excel.result.strayCrs).toBeUndefined();
    // DuckDB takes the first line's break for the file's, and so does ferry: an LF in an unquoted
    // value of such a file is DuckDB's to read or refuse (it refuses this one, as it did before).
    const error = await ferryErrorOf(() => load('mac-lf.csv', 'id,note\r1,a\nb\r2,c\r'));
    expect([error.code, error.message]).toEqual([
      'CSV_READ_FAILED',
      's3://vendor/mac-lf.csv could not be read as CSV: The CSV Parser state machine reached an invalid state.',
    ]);
    expect(await readFile(join(t.dir, 'mac-lf.csv.lf')).catch(() => 'gone')).toBe('gone');
  });
});

describe('loadCsv, generated files with every kind of CR', () => {
  // A table of values holding quotes, delimiters, CRs and LFs, written as its writer might: each line
  // ending LF, CRLF or CR CR LF, each value quoted when it must be, and otherwise quoted or not (a CR
  // or a quote inside an unquoted value). ferry must read back the table, whatever DuckDB does alone.
  const dialects = [
    { name: 'comma, quotes doubled', delimiter: ',', escape: '"', gzip: false },
    { name: 'semicolon, backslash escapes, gzip', delimiter: ';', escape: '\\', gzip: true },
  ] as const;
  type GeneratedDialect = (typeof dialects)[number];

  function table(random: () => number, rows: number, columns: number, d: GeneratedDialect): string[][] {
    const pieces = ['a', 'b', ' ', '"', d.delimiter, '\r', '\n', '\r\n', 'xy', d.escape];
    return Array.from({ length: rows }, (_, r) =>
      Array.from({ length: columns }, (_, c) =>
        c === 0
          ? String(r + 1)
          : Array.from(
              { length: 1 + Math.floor(random() * 5) },
              () => pieces[Math.floor(random() * pieces.length)],
            ).join(''),
      ),
    );
  }
  function write(
    random: () => number,
    rows: string[][],
    d: GeneratedDialect,
    lineBreaks: readonly string[] = ['\n', '\r\n', '\r\r\n'],
  ): string {
    // With CR line breaks (an old Mac export), a CR in a value must be quoted too.
    const crBreaks = lineBreaks.every((lineBreak) => lineBreak === '\r');
    const escaped = (value: string) =>
      d.escape === '"' ? value.replaceAll('"', '""') : value.replaceAll('\\', '\\\\').replaceAll('"', '\\"');
    const field = (value: string) => {
      // Unquoted, as DuckDB reads it: no delimiter or LF, no quote or space to start, no CR to end
      // (an escape character outside quotes is an ordinary one).
      const plain =
        !value.includes(d.delimiter) &&
        !value.includes('\n') &&
        !/^[" ]/.test(value) &&
        !value.endsWith('\r') &&
        !(crBreaks && value.includes('\r'));
      return plain && random() < 0.7 ? value : `"${escaped(value)}"`;
    };
    return rows
      .map((row) => row.map(field).join(d.delimiter) + lineBreaks[Math.floor(random() * lineBreaks.length)])
      .join('');
  }

  it.each(dialects)('reads back the table from 40 files: $name', async (d) => {
    const header = ['id', 'b', 'c', 'd'];
    let strayFiles = 0;
    let crCrLfFiles = 0;
    let mixedFiles = 0;
    for (let seed = 1; seed <= 40; seed += 1) {
      const random = createRandom(seed);
      const rows = table(random, 12, header.length, d);
      const text = write(random, [header, ...rows], d);
      const { result, rows: read } = await load(
        `gen-${seed}.csv${d.gzip ? '.gz' : ''}`,
        d.gzip ? gzipSync(text) : text,
        {
          delimiter: d.delimiter,
          escape: d.escape,
          compression: d.gzip ? 'gzip' : 'none',
        },
      );
      expect(
        read.map((row) => header.map((name) => row[name])),
        `seed ${seed}`,
      ).toEqual(rows);
      expect(result.rowsRejected, `seed ${seed}`).toBe(0);
      if ((result.strayCrs?.count ?? 0) > 0) strayFiles += 1;
      if ((result.strayCrs?.crCrLfLines ?? 0) > 0) crCrLfFiles += 1;
      if (result.crlfMadeLf !== undefined) mixedFiles += 1;
    }
    // The generator does make each kind of file.
    expect({ strayFiles, crCrLfFiles, mixedFiles }).toEqual({
      strayFiles: expect.toSatisfy((n: number) => n > 10),
      crCrLfFiles: expect.toSatisfy((n: number) => n > 10),
      mixedFiles: expect.toSatisfy((n: number) => n > 10),
    });
  });
  it('leaves generated files of CR line breaks, whose values hold quoted LFs and CRs, to DuckDB', async () => {
    const header = ['id', 'b', 'c', 'd'];
    const d = dialects[0];
    for (let seed = 1; seed <= 20; seed += 1) {
      const random = createRandom(seed);
      const rows = table(random, 12, header.length, d);
      const { result, rows: read } = await load(
        `mac-${seed}.csv`,
        write(random, [header, ...rows], d, ['\r']),
      );
      expect(
        read.map((row) => header.map((name) => row[name])),
        `seed ${seed}`,
      ).toEqual(rows);
      expect([result.rowsRejected, result.strayCrs, result.crlfMadeLf], `seed ${seed}`).toEqual([
        0,
        undefined,
        undefined,
      ]);
    }
  });
});

describe('writeNormalizedCsv', () => {
  const options = {
    compression: 'none',
    encoding: 'utf-8',
    quote: '"',
    escape: '"',
    delimiter: ',',
  } as const;
  const copy = async (content: string | Buffer) => {
    const path = await t.write('in.csv', content);
    const dest = join(t.dir, 'in.csv.lf');
    const found = await writeNormalizedCsv(path, dest, options);
    const changed = found.copied ? found.crlfMadeLf : undefined;
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
  it('quotes a value whose CR alone is the last byte of a read chunk, or comes after one', async () => {
    const options2 = { ...options };
    const head = 'a,b\n';
    const filler = `1,${'x'.repeat(1024 * 1024 - head.length - 3)}`;
    // The CR ends the first 1 MiB chunk and a value byte starts the next; the next line's value
    // starts in the first chunk and holds its CR in the second.
    const body = `${head}${filler}\ry\n2,${'z'.repeat(10)}`;
    expect(Buffer.byteLength(`${head}${filler}\r`)).toBe(1024 * 1024);
    const path = await t.write('chunks.csv', `${body}\rw\n`);
    const dest = join(t.dir, 'chunks.csv.lf');
    const found = await writeNormalizedCsv(path, dest, options2);
    expect(found).toMatchObject({ strayCrs: 2, firstStrayCrLine: 2, crlfMadeLf: 0 });
    expect(await readFile(dest, 'latin1')).toBe(
      `${head}1,"${filler.slice(2)}\ry"\n2,"${'z'.repeat(10)}\rw"\n`,
    );
  });
});
