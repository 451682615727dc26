import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { quoteIdent, quoteLiteral, quoteStringList } from '../../../engine/duckdb/sql.js';
import { FerryError } from '../../../engine/errors/ferry-error.js';
import { openTestSession, type DuckDbTestSession } from './duckdb-test-session.js';

const NAMES = [
  'plain',
  'with space',
  'double"quote',
  "single'quote",
  '""',
  'Ünïcødé 名前 🚀',
  'semi;colon--',
  'a\\b',
  'line\nbreak',
];

describe('quoting helpers', () => {
  it('quotes identifiers', () => {
    expect(quoteIdent('a')).toBe('"a"');
    expect(quoteIdent('a"b')).toBe('"a""b"');
    expect(quoteIdent('with space')).toBe('"with space"');
  });

  it('quotes literals', () => {
    expect(quoteLiteral("it's")).toBe("'it''s'");
    expect(quoteLiteral('')).toBe("''");
    expect(quoteLiteral('back\\slash')).toBe("'back\\slash'");
  });

  it('quotes string lists', () => {
    expect(quoteStringList([])).toBe('[]');
    expect(quoteStringList(['a', "b'c"])).toBe("['a', 'b''c']");
  });

  it.each([
    ['an empty identifier', () => quoteIdent('')],
    ['a NUL in an identifier', () => quoteIdent('a\0b')],
    ['a NUL in a literal', () => quoteLiteral('a\0b')],
  ])('refuses %s', (_label, quote) => {
    expect(quote).toThrow(FerryError);
    try {
      quote();
    } catch (error) {
      expect((error as FerryError).code).toBe('SQL_INVALID_VALUE');
    }
  });
});

describe('quoting round-trips through DuckDB', () => {
  let t: DuckDbTestSession;
  beforeEach(async () => {
    t = await openTestSession();
  });
  afterEach(async () => {
    await t.close();
  });

  it.each(NAMES)('keeps the literal %j exactly', async (value) => {
    expect(await t.session.all(`SELECT ${quoteLiteral(value)} AS v`)).toEqual([{ v: value }]);
  });

  it.each(NAMES)('keeps the identifier %j exactly', async (name) => {
    await t.session.run(`CREATE TABLE ${quoteIdent(name)} (${quoteIdent(name)} VARCHAR)`);
    const columns = await t.session.all(`SELECT column_name FROM (DESCRIBE ${quoteIdent(name)})`);
    expect(columns).toEqual([{ column_name: name }]);
  });

  it('keeps a list of strings', async () => {
    expect(await t.session.all(`SELECT ${quoteStringList(NAMES)} AS v`)).toEqual([{ v: NAMES }]);
  });
});
