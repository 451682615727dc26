/**
 * The strict Node scan that decides whether a small CSV file may be loaded in a multi-file read:
 * record numbers as DuckDB counts them, field counts, the header's fields, and every shape it refuses
 * (the file is then loaded on its own).
 */
import { describe, expect, it } from 'vitest';
import { scanCsvRecords } from '../../../engine/duckdb/scan-csv-records.js';

const DIALECT = { delimiter: ',', quote: '"', escape: '"', encoding: 'utf-8' } as const;
const scan = (text: string | Buffer, dialect: Partial<typeof DIALECT> | object = {}, maxLineBytes = 1000) =>
  scanCsvRecords(
    Buffer.isBuffer(text) ? text : Buffer.from(text),
    { ...DIALECT, ...dialect },
    { maxLineBytes },
  );

describe('scanCsvRecords', () => {
  it('numbers records as DuckDB does: blank lines count, quoted line breaks do not', () => {
    const result = scan('id,name\n1,"two\nlines"\n\n2,b,c\r\n3\n');
    expect(result?.first).toEqual(['id', 'name']);
    expect(result?.records.map(({ line, fields }) => [line, fields])).toEqual([
      [1, 2],
      [2, 2],
      [4, 3],
      [5, 1],
    ]);
  });

  it('counts the lines DuckDB numbers: line breaks outside quotes, and a last line without one', () => {
    expect(scan('id,name\n1,"two\nlines"\n\n2,b,c\r\n3\n')?.lines).toBe(5);
    expect(scan('id,name\n1,x')?.lines).toBe(2);
    expect(scan('id,name\n')?.lines).toBe(1);
    expect(scan('id,name\n\n\n')?.lines).toBe(3);
    expect(scan('')?.lines).toBe(0);
  });

  it('reads a quoted header with escaped quotes, a BOM and a multi-byte delimiter', () => {
    expect(scan('\ufeff"i""d",name\n1,x\n')?.first).toEqual(['i"d', 'name']);
    expect(scan('a||b\n1||2\n', { delimiter: '||' })?.first).toEqual(['a', 'b']);
    expect(scan('a;b\n1;"x\\"y"\n', { delimiter: ';', escape: '\\' })?.records).toHaveLength(2);
  });

  it('leaves out a file without a record on line 1 (empty, or a leading blank line)', () => {
    expect(scan('')?.first).toBeUndefined();
    expect(scan('\nid,name\n1,x\n')?.first).toBeUndefined();
  });

  it('marks a record that ends with a delimiter (DuckDB drops empty fields past the last column)', () => {
    const records = scan('id,name\n1,x,\n2,\n')?.records;
    expect(records?.map((r) => r.endsWithDelimiter)).toEqual([false, true, true]);
  });

  it.each([
    ['an unterminated quote at the end', 'id,name\n1,"open\n'],
    ['text after a closing quote', 'id,name\n1,"a"b\n'],
    ['a quote inside an unquoted field', 'id,name\n1,a"b\n'],
    ['a lone CR', 'id,name\r1,x\n'],
    ['a NUL byte', 'id,name\n1,\u0000\n'],
    ['invalid UTF-8', Buffer.from([0x61, 0x2c, 0x62, 0x0a, 0x31, 0x2c, 0xe9, 0x0a])],
    ['a record over max_line_size', `id,name\n1,${'x'.repeat(40)}\n`],
  ])('gives up on %s', (_, text) => {
    expect(scan(text, {}, 32)).toBeUndefined();
  });

  it('gives up on utf-16, and on an escape outside quotes or before an ordinary character', () => {
    expect(scan('id,name\n', { encoding: 'utf-16' })).toBeUndefined();
    expect(scan('id,name\n1,a\\b\n', { escape: '\\' })).toBeUndefined();
    expect(scan('id,name\n1,"a\\b"\n', { escape: '\\' })).toBeUndefined();
  });

  it('decodes latin-1 header names', () => {
    expect(
      scan(Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x2c, 0x62, 0x0a]), { encoding: 'latin-1' })?.first,
    ).toEqual(['café', 'b']);
  });
});
