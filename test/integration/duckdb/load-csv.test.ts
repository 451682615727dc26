import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadCsv, type LoadCsvOptions } from '../../../engine/duckdb/load-csv.js';
import type { CsvDialect } from '../../../engine/duckdb/normalize-csv-dialect.js';
import { quoteIdent, quoteLiteral } from '../../../engine/duckdb/sql.js';
import { ferryErrorOf, openTestSession, tableExists, type DuckDbTestSession } from './duckdb-test-session.js';
import { COMMA_CSV } from '../../harness/csv-dialects.js';

let t: DuckDbTestSession;
beforeEach(async () => {
  t = await openTestSession();
});
afterEach(async () => {
  await t.close();
});

async function load(
  content: string | Buffer,
  dialect: Partial<CsvDialect> = {},
  options: Partial<LoadCsvOptions> = {},
  name = 'input.csv',
) {
  const path = await t.write(name, content);
  return loadCsv(t.session, {
    path,
    table: 'loaded',
    displayName: `s3://vendor/${name}`,
    dialect: { ...COMMA_CSV, ...dialect },
    ...options,
  });
}

async function rows(table = 'loaded'): Promise<Record<string, unknown>[]> {
  return t.session.all(`SELECT * FROM ${quoteIdent(table)} ORDER BY rowid`);
}

describe('loadCsv dialects', () => {
  it('loads a comma file as VARCHAR columns in file order', async () => {
    const result = await load('id,name,amount\n1,alice,10.5\n2,bob,7\n');
    expect(result).toMatchObject({
      columns: ['id', 'name', 'amount'],
      rowsLoaded: 2,
      rowsRejected: 0,
      empty: false,
    });
    expect(await rows()).toEqual([
      { id: '1', name: 'alice', amount: '10.5' },
      { id: '2', name: 'bob', amount: '7' },
    ]);
    const types = await t.session.all(`SELECT DISTINCT column_type FROM (DESCRIBE loaded)`);
    expect(types).toEqual([{ column_type: 'VARCHAR' }]);
  });

  it.each([
    ['t', 't'],
    ['backslash-t', '\\t'],
    ['a literal tab', '\t'],
  ])('reads TAB when the delimiter is %s', async (_label, delimiter) => {
    const result = await load('a\tb\n1\t2\n"x\ty"\t3\n', { delimiter });
    expect(result.columns).toEqual(['a', 'b']);
    expect(await rows()).toEqual([
      { a: '1', b: '2' },
      { a: 'x\ty', b: '3' },
    ]);
  });

  it.each([';', '|', '||'])('reads delimiter %j', async (delimiter) => {
    const text = ['a', 'b'].join(delimiter) + '\n' + ['1', '"2' + delimiter + '3"'].join(delimiter) + '\n';
    const result = await load(text, { delimiter });
    expect(result.rowsLoaded).toBe(1);
    expect(await rows()).toEqual([{ a: '1', b: `2${delimiter}3` }]);
  });

  it('keeps quoted delimiters, doubled quotes and embedded newlines in one field', async () => {
    const result = await load('id,note\n1,"hello, ""world"""\n2,"two\nlines"\n3,plain\n');
    expect(result).toMatchObject({ rowsLoaded: 3, rowsRejected: 0 });
    expect(await rows()).toEqual([
      { id: '1', note: 'hello, "world"' },
      { id: '2', note: 'two\nlines' },
      { id: '3', note: 'plain' },
    ]);
  });

  it('supports a backslash escape', async () => {
    await load('a,b\n"x\\"y",1\n', { escape: '\\' });
    expect(await rows()).toEqual([{ a: 'x"y', b: '1' }]);
  });

  it('handles CRLF line endings without keeping the CR', async () => {
    const result = await load('id,name\r\n1,a\r\n2,"b\r\nc"\r\n');
    expect(result.columns).toEqual(['id', 'name']);
    expect(await rows()).toEqual([
      { id: '1', name: 'a' },
      { id: '2', name: 'b\r\nc' },
    ]);
  });

  it('drops a UTF-8 BOM from the first header name', async () => {
    const result = await load('\uFEFFid,name\n1,a\n');
    expect(result.columns).toEqual(['id', 'name']);
    expect(result.columns[0]?.startsWith('\uFEFF')).toBe(false);
    expect(await rows()).toEqual([{ id: '1', name: 'a' }]);
  });

  it('takes the header from the first record even after blank lines', async () => {
    const result = await load('\n\nid,name\n1,a\n');
    expect(result).toMatchObject({ columns: ['id', 'name'], rowsLoaded: 1 });
    expect(await rows()).toEqual([{ id: '1', name: 'a' }]);
  });

  it('reads NULL from the null string only when unquoted; "" stays an empty string', async () => {
    await load('a,b,c\nNA,"",\n"NA",x,y\n', { nullString: 'NA' });
    expect(await rows()).toEqual([
      { a: null, b: '', c: '' },
      { a: 'NA', b: 'x', c: 'y' },
    ]);
    await t.session.run('DROP TABLE loaded');
    await load('a,b\n,""\n');
    expect(await rows()).toEqual([{ a: null, b: '' }]);
  });

  it('reads UTF-16 when declared', async () => {
    const bytes = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('id,name\n1,Zoë\n', 'utf16le')]);
    const result = await load(bytes, { encoding: 'utf-16' });
    expect(result.columns).toEqual(['id', 'name']);
    expect(await rows()).toEqual([{ id: '1', name: 'Zoë' }]);
  });
});

describe('loadCsv without a header', () => {
  it('names columns column1..columnN from the first record', async () => {
    const result = await load('1,a,x\n2,b,y\n', { header: false });
    expect(result).toMatchObject({ columns: ['column1', 'column2', 'column3'], rowsLoaded: 2 });
    expect((await rows())[0]).toEqual({ column1: '1', column2: 'a', column3: 'x' });
  });

  it('uses given column names and rejects records of another width', async () => {
    const result = await load('1,a\n2,b,extra\n3,c\n', { header: false }, { columns: ['id', 'name'] });
    expect(result).toMatchObject({ columns: ['id', 'name'], rowsLoaded: 2, rowsRejected: 1 });
    expect(result.rejects).toMatchObject([{ line: 2, reason: 'too-many-columns' }]);
  });

  it('given column names replace a header ferry cannot use (duplicate or empty names)', async () => {
    const result = await load(
      'id,name,name,\n1,Ada,Lovelace,x\n',
      {},
      { columns: ['id', 'first', 'last', 'note'] },
    );
    expect(result).toMatchObject({
      columns: ['id', 'first', 'last', 'note'],
      rowsLoaded: 1,
      rowsRejected: 0,
    });
    expect((await rows())[0]).toEqual({ id: '1', first: 'Ada', last: 'Lovelace', note: 'x' });
  });

  it('refuses given column names that do not match the width of the header', async () => {
    const error = await ferryErrorOf(() => load('a,b\n1,2\n', {}, { columns: ['x'] }));
    expect(error.code).toBe('CSV_BAD_HEADER');
    expect(error.message).toContain('the header has 2 columns, but source.format.columns names 1');
  });
});

describe('loadCsv rejects', () => {
  it('rejects ragged rows with line numbers and loses nothing', async () => {
    const text = 'id,name,note\n1,a,x\n2,b\n3,c,y,extra\n4,d,z\n5\n';
    const result = await load(text);
    expect(result.rowsLoaded).toBe(2);
    expect(result.rowsRejected).toBe(3);
    expect(result.rowsLoaded + result.rowsRejected).toBe(5); // data lines in the file
    expect(result.rejects.map((r) => [r.line, r.reason])).toEqual([
      [3, 'missing-columns'],
      [4, 'too-many-columns'],
      [6, 'missing-columns'],
    ]);
    expect(result.rejects[1]?.rawLine).toBe('3,c,y,extra');
    expect((await rows()).map((r) => r['id'])).toEqual(['1', '4']);
  });

  it('rejects an unterminated quote instead of reading it as a value', async () => {
    const result = await load('id,note\n1,ok\n2,"open\n3,after\n');
    expect(result.rowsLoaded).toBe(1);
    expect(result.rowsRejected).toBe(1);
    expect(result.rejects).toMatchObject([{ line: 3, reason: 'bad-quoting' }]);
    // DuckDB reads to the end of the file looking for the closing quote: line 4 is inside the reject.
    expect(result.rejects[0]?.rawLine).toContain('3,after');
  });

  it('counts records, not physical lines, when a quoted field spans lines', async () => {
    const result = await load('id,note\n1,"a\nb"\n2\n');
    expect(result.rejects).toMatchObject([{ line: 3, reason: 'missing-columns' }]);
  });

  it('fails a file with a line longer than maxLineBytes (a limit, not bad data: raise it)', async () => {
    const error = await ferryErrorOf(() =>
      load(`a,b\n1,${'x'.repeat(5000)}\n2,y\n`, {}, { maxLineBytes: 1000 }),
    );
    expect(error).toMatchObject({ code: 'CSV_LINE_TOO_LONG', context: { line: 2, maxLineBytes: 1000 } });
  });

  it('keeps each load’s rejects separate in one session', async () => {
    const first = await load('a,b\n1\n2\n', {}, { table: 'first' });
    const second = await load('a,b\n1,2\n3\n', {}, { table: 'second' });
    expect(first.rowsRejected).toBe(2);
    expect(second.rowsRejected).toBe(1);
    const leftovers = await t.session.all(
      `SELECT count(*) AS n FROM duckdb_tables() WHERE table_name LIKE 'ferry_%'`,
    );
    expect(Number(leftovers[0]?.['n'])).toBe(0);
  });

  it('caps the details but counts every reject', async () => {
    const bad = Array.from({ length: 30 }, (_, i) => `${i}\n`).join('');
    const result = await load(`a,b\n${bad}ok,1\n`, {}, { maxRejectDetails: 5 });
    expect(result).toMatchObject({ rowsLoaded: 1, rowsRejected: 30 });
    expect(result.rejects).toHaveLength(5);
  });

  it.each([
    [{ kind: 'count', value: 1 } as const, true],
    [{ kind: 'count', value: 2 } as const, false],
    [{ kind: 'percent', value: 20 } as const, true],
    [{ kind: 'percent', value: 25 } as const, false],
  ])('enforces maxRejects %j (over: %s)', async (maxRejects, over) => {
    // 2 of 8 data rows are bad: 25 %.
    const text = 'a,b\n1,1\n2\n3,3\n4,4\n5,5,5\n6,6\n7,7\n8,8\n';
    if (!over) {
      const result = await load(text, {}, { maxRejects });
      expect(result).toMatchObject({ rowsLoaded: 6, rowsRejected: 2 });
      return;
    }
    const error = await ferryErrorOf(() => load(text, {}, { maxRejects }));
    expect(error.code).toBe('CSV_REJECTS_OVER_LIMIT');
    expect(error.context).toMatchObject({ rowsRejected: 2, rowsLoaded: 6 });
    expect(await tableExists(t.session, 'loaded')).toBe(false);
  });
});

describe('loadCsv header problems', () => {
  it.each([
    ['a duplicate name', 'id,name,id\n1,2,3\n', 3],
    ['names that differ only in case', 'id,Name,NAME\n1,2,3\n', 3],
    ['an empty name', 'id,,name\n1,2,3\n', 2],
    ['an empty quoted name', 'id,name,""\n1,2,3\n', 3],
    ['a blank name', 'id, ,name\n1,2,3\n', 2],
  ])('refuses %s with CSV_BAD_HEADER and its position', async (_label, text, column) => {
    const error = await ferryErrorOf(() => load(text));
    expect(error.code).toBe('CSV_BAD_HEADER');
    expect(error.context).toMatchObject({ file: 's3://vendor/input.csv', column });
    expect(error.hint).toContain('source.format.columns');
    expect(await tableExists(t.session, 'loaded')).toBe(false);
  });

  it('refuses a header wider than 1024 columns', async () => {
    const header = Array.from({ length: 1500 }, (_, i) => `h${i}`).join(',');
    const error = await ferryErrorOf(() => load(`${header}\n`));
    expect(error.code).toBe('CSV_BAD_HEADER');
    expect(error.context).toMatchObject({ line: 1 });
  });

  it('loads a header as wide as 1024 columns', async () => {
    const header = Array.from({ length: 1024 }, (_, i) => `h${i}`).join(',');
    const row = Array.from({ length: 1024 }, (_, i) => `${i}`).join(',');
    const result = await load(`${header}\n${row}\n`);
    expect(result).toMatchObject({ rowsLoaded: 1, rowsRejected: 0 });
    expect(result.columns).toHaveLength(1024);
    expect(result.columns.at(-1)).toBe('h1023');
  });

  it('accepts header names DuckDB treats specially', async () => {
    const result = await load('rowid,"select","a ""quoted"" name",Ünïcødé\n1,2,3,4\n');
    expect(result.columns).toEqual(['rowid', 'select', 'a "quoted" name', 'Ünïcødé']);
    expect(await rows()).toEqual([{ rowid: '1', select: '2', 'a "quoted" name': '3', Ünïcødé: '4' }]);
  });

  it('loads such a file by position with header: false', async () => {
    const result = await load('id,name,id\n1,2,3\n', { header: false });
    expect(result).toMatchObject({ columns: ['column1', 'column2', 'column3'], rowsLoaded: 2 });
  });

  it('refuses a header with an unterminated quote', async () => {
    const error = await ferryErrorOf(() => load('"id,name\n1,a\n2,b\n'));
    expect(error.code).toBe('CSV_BAD_HEADER');
    expect(error.context).toMatchObject({ line: 1 });
  });

  it('refuses a header with an unbalanced quote in the middle', async () => {
    const error = await ferryErrorOf(() => load('"id"x,name\n1,a\n'));
    expect(error.code).toBe('CSV_BAD_HEADER');
  });
});

describe('loadCsv encodings', () => {
  const latin1 = Buffer.concat([
    Buffer.from('id,name\n1,'),
    Buffer.from('Jérôme', 'latin1'),
    Buffer.from('\n2,plain\n'),
  ]);

  it('reads Latin-1 when declared', async () => {
    const result = await load(latin1, { encoding: 'latin-1' });
    expect(result).toMatchObject({ rowsLoaded: 2, rowsRejected: 0 });
    expect((await rows())[0]).toEqual({ id: '1', name: 'Jérôme' });
  });

  it('refuses Latin-1 bytes in a file declared UTF-8', async () => {
    const error = await ferryErrorOf(() => load(latin1));
    expect(error.code).toBe('CSV_ENCODING');
    expect(error.context).toMatchObject({ line: 2, encoding: 'utf-8', rows: 1 });
    expect(error.hint).toContain('latin-1');
    expect(await tableExists(t.session, 'loaded')).toBe(false);
  });

  it('refuses a Latin-1 header in a file declared UTF-8', async () => {
    const bytes = Buffer.concat([
      Buffer.from('id,pr', 'latin1'),
      Buffer.from('énom', 'latin1'),
      Buffer.from('\n1,a\n'),
    ]);
    const error = await ferryErrorOf(() => load(bytes));
    expect(error.code).toBe('CSV_ENCODING');
    expect(error.context).toMatchObject({ line: 1 });
  });
});

describe('loadCsv wrong delimiter', () => {
  it.each([
    [';', 'a;b;c\n1;2;3\n'],
    ['|', 'a|b\n1|2\n'],
    ['\t', 'a\tb\n1\t2\n'],
  ])('says the file seems to use %j', async (likely, text) => {
    const error = await ferryErrorOf(() => load(text));
    expect(error.code).toBe('CSV_WRONG_DELIMITER');
    expect(error.context).toMatchObject({ delimiter: ',', likelyDelimiter: likely });
    expect(await tableExists(t.session, 'loaded')).toBe(false);
  });

  it('says the file seems to use "," when ";" is configured', async () => {
    const error = await ferryErrorOf(() => load('a,b\n1,2\n', { delimiter: ';' }));
    expect(error.context).toMatchObject({ likelyDelimiter: ',' });
  });

  it('also checks files without a header', async () => {
    const error = await ferryErrorOf(() => load('1;2\n3;4\n', { header: false }));
    expect(error.code).toBe('CSV_WRONG_DELIMITER');
  });

  it.each([
    [';', '"id";"name"\n"1";"Ada"\n'],
    ['\t', '"id"\t"name"\n"1"\t"Ada, Countess"\n'],
    ['|', '"id"|"name"\n1|Ada\n'],
  ])('says so for a file with quoted fields too (%j), naming line 1', async (likely, text) => {
    const error = await ferryErrorOf(() => load(text));
    expect(error.code).toBe('CSV_WRONG_DELIMITER');
    expect(error.context).toMatchObject({ line: 1, delimiter: ',', likelyDelimiter: likely });
    expect(error.hint).toContain('delimiter');
    expect(await tableExists(t.session, 'loaded')).toBe(false);
  });

  it('says so when source.format.columns names more columns than the wrong delimiter gives', async () => {
    const error = await ferryErrorOf(() => load('"id";"name"\n"1";"Ada"\n', {}, { columns: ['a', 'b'] }));
    expect(error.code).toBe('CSV_WRONG_DELIMITER');
    expect(error.context).toMatchObject({ likelyDelimiter: ';' });
  });

  it('keeps a genuinely unbalanced header quote a header error', async () => {
    const error = await ferryErrorOf(() => load('"id,name\n1,2\n'));
    expect(error.code).not.toBe('CSV_WRONG_DELIMITER');
  });

  it('accepts a real one-column file whose quoted header holds a ";"', async () => {
    const result = await load('"a;b"\n1\n2\n');
    expect(result).toMatchObject({ columns: ['a;b'], rowsLoaded: 2 });
  });
});

describe('loadCsv empty files', () => {
  it.each([
    ['an empty file', '', []],
    ['a header-only file', 'id,name\n', ['id', 'name']],
    ['a header-only file without newline', 'id,name', ['id', 'name']],
    ['blank lines only', '\n\n', []],
  ])('returns empty for %s under skip, with no table', async (_label, text, columns) => {
    const result = await load(text);
    expect(result).toMatchObject({
      empty: true,
      tableCreated: false,
      rowsLoaded: 0,
      rowsRejected: 0,
      columns,
    });
    expect(await tableExists(t.session, 'loaded')).toBe(false);
  });

  it.each([
    ['an empty file', ''],
    ['a header-only file', 'id,name\n'],
  ])('throws CSV_EMPTY_FILE for %s under fail', async (_label, text) => {
    const error = await ferryErrorOf(() => load(text, { emptyFile: 'fail' }));
    expect(error.code).toBe('CSV_EMPTY_FILE');
    expect(await tableExists(t.session, 'loaded')).toBe(false);
  });

  it('is not empty when every data row was rejected', async () => {
    const result = await load('a,b\n1\n');
    expect(result).toMatchObject({ empty: false, tableCreated: true, rowsLoaded: 0, rowsRejected: 1 });
  });
});

describe('loadCsv compression', () => {
  const text = 'id,name\n1,a\n2,"b,c"\n3\n';

  it('reads gzip', async () => {
    const result = await load(gzipSync(text), { compression: 'gzip' }, {}, 'input.csv.gz');
    expect(result).toMatchObject({ columns: ['id', 'name'], rowsLoaded: 2, rowsRejected: 1 });
    expect(result.rejects).toMatchObject([{ line: 4, reason: 'missing-columns' }]);
  });

  it('reads zstd written by DuckDB', async () => {
    const plain = await t.write('plain.csv', 'id,name\n1,a\n2,"b,c"\n');
    const zstdPath = `${t.dir}/input.csv.zst`;
    await t.session.run(
      `COPY (SELECT * FROM read_csv(${quoteLiteral(plain)}, header = true, all_varchar = true)) TO ${quoteLiteral(zstdPath)} (FORMAT csv, HEADER true, COMPRESSION zstd)`,
    );
    const result = await loadCsv(t.session, {
      path: zstdPath,
      table: 'loaded',
      displayName: 'input.csv.zst',
      dialect: { ...COMMA_CSV, compression: 'zstd' },
    });
    expect(result).toMatchObject({ columns: ['id', 'name'], rowsLoaded: 2 });
    expect(await rows()).toEqual([
      { id: '1', name: 'a' },
      { id: '2', name: 'b,c' },
    ]);
  });

  it('fails clearly when gzip bytes are read as plain text', async () => {
    const error = await ferryErrorOf(() => load(gzipSync(text), { compression: 'none' }));
    expect(['CSV_ENCODING', 'CSV_READ_FAILED']).toContain(error.code);
  });
});

describe('loadCsv dialect checks', () => {
  it.each([[{ delimiter: '' }], [{ delimiter: '|||||' }], [{ quote: '""' }], [{ delimiter: '"' }]])(
    'refuses %j with CSV_BAD_DIALECT',
    async (dialect) => {
      const error = await ferryErrorOf(() => load('a\n1\n', dialect));
      expect(error.code).toBe('CSV_BAD_DIALECT');
    },
  );

  it('refuses a file missing from the sandbox', async () => {
    const error = await ferryErrorOf(() =>
      loadCsv(t.session, { path: '/etc/passwd', table: 'x', displayName: 'passwd', dialect: COMMA_CSV }),
    );
    expect(error.code).toBe('CSV_READ_FAILED');
  });
});

describe('loadCsv max_line_size', () => {
  it('fails a file with a line over the limit, naming the line and the option (not "unterminated quote")', async () => {
    // DuckDB itself reported this 40 MB quoted field as an unterminated quote.
    const big = Buffer.alloc(40 * 1024 * 1024, 'x');
    const bytes = Buffer.concat([Buffer.from('id,blob\n1,a\n2,"'), big, Buffer.from('"\n3,c\n')]);
    const error = await ferryErrorOf(() => load(bytes));
    expect(error.code).toBe('CSV_LINE_TOO_LONG');
    expect(error.context).toMatchObject({ file: 's3://vendor/input.csv', line: 3, maxLineBytes: 2_000_000 });
    expect(error.hint).toContain('max_line_size');
    expect(await tableExists(t.session, 'loaded')).toBe(false);
  });

  it('names the header line when the first line is the long one', async () => {
    const error = await ferryErrorOf(() => load(`${'h'.repeat(2_100_000)},b\n1,2\n`));
    expect(error).toMatchObject({ code: 'CSV_LINE_TOO_LONG', context: { line: 1 } });
  });

  it('loads the same kind of record once the limit is raised', async () => {
    const result = await load(
      `id,blob\n1,"${'y'.repeat(3_000_000)}"\n2,b\n`,
      {},
      { maxLineBytes: 4_000_000 },
    );
    expect(result).toMatchObject({ rowsLoaded: 2, rowsRejected: 0 });
    const [row] = await t.session.all('SELECT length(blob) AS n FROM loaded WHERE id = 1');
    expect(row?.['n']).toBe(3_000_000n);
  });

  it('also fails a record that is too long only through quoted line breaks', async () => {
    const part = 'z'.repeat(900_000);
    const error = await ferryErrorOf(() => load(`id,blob\n1,a\n2,"${part}\n${part}\n${part}"\n`));
    expect(error).toMatchObject({ code: 'CSV_LINE_TOO_LONG', context: { line: 3 } });
  });
});
