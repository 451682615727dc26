/**
 * The fast path for declared types (parse-duckdb-type.ts) against DuckDB itself: every type it
 * vouches for, DuckDB accepts with the same canonical name; what it does not know is left to DuckDB.
 * A DuckDB upgrade that renames or drops a type fails here.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkDuckDbTypes } from '../../../engine/duckdb/check-duckdb-types.js';
import { listParsedDuckDbTypeNames, parseDuckDbType } from '../../../engine/duckdb/parse-duckdb-type.js';
import { openSyncDuckDb, type SyncDuckDb } from '../../../engine/duckdb/run-duckdb-sync.js';

let db: SyncDuckDb;
beforeAll(() => {
  db = openSyncDuckDb();
});
afterAll(() => db.close());

/** Each type the fast path answers for, with its answer and DuckDB's. */
function compareWithDuckDb(types: readonly string[]) {
  const parsed = types.map((type) => [type, parseDuckDbType(type)] as const);
  const checks = checkDuckDbTypes(
    db,
    parsed.filter(([, canonical]) => canonical !== undefined).map(([type]) => type),
  );
  return parsed
    .filter(([, canonical]) => canonical !== undefined)
    .map(([type, canonical]) => ({ type, fast: canonical, duckdb: checks.get(type) }));
}

function expectAgreement(types: readonly string[]): void {
  const compared = compareWithDuckDb(types);
  const disagreements = compared.filter(({ fast, duckdb }) => !duckdb?.ok || duckdb.canonical !== fast);
  expect(disagreements).toEqual([]);
}

/** A type written the way a person might: any case, spaces around marks, nested lists and maps. */
const writtenType: fc.Arbitrary<string> = fc
  .letrec<{ type: string }>((tie) => ({
    type: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.constantFrom(...listParsedDuckDbTypeNames()),
      fc
        .tuple(fc.constantFrom('decimal', 'dec', 'numeric'), fc.integer({ min: 1, max: 38 }), fc.nat(38))
        .map(([name, width, scale]) => `${name}(${width}, ${Math.min(scale, width)})`),
      fc
        .tuple(fc.constantFrom('DECIMAL', 'numeric'), fc.integer({ min: 1, max: 38 }))
        .map(([n, w]) => `${n}(${w})`),
      tie('type').map((inner) => `${inner}[]`),
      fc.tuple(tie('type'), tie('type')).map(([key, value]) => `MAP(${key},${value})`),
    ),
  }))
  .type.chain((type) =>
    fc
      .tuple(fc.boolean(), fc.constantFrom('', ' ', '  '))
      .map(([upper, space]) => (upper ? type.toUpperCase() : type).replace(/([(,])/g, `$1${space}`)),
  );

describe('parseDuckDbType', () => {
  it('knows each built-in name as DuckDB does, in any case', () => {
    const names = listParsedDuckDbTypeNames();
    expect(names.length).toBeGreaterThan(50);
    expectAgreement([...names, ...names.map((n) => n.toUpperCase())]);
    expect(compareWithDuckDb(names)).toHaveLength(names.length);
  });

  it('gives DuckDB canonical name for decimals, lists and maps', () => {
    const types = [
      'DECIMAL(12,2)',
      'decimal( 12 , 2 )',
      'NUMERIC(5)',
      'DECIMAL(38,38)',
      'DECIMAL(1,0)',
      'DECIMAL(012,02)',
      'VARCHAR[]',
      'integer [] []',
      'MAP(VARCHAR, VARCHAR)',
      'map(varchar,integer[])',
      'MAP(VARCHAR[], DECIMAL(5,2))[]',
      'TIMESTAMP WITH TIME ZONE',
      'timestamp   with time zone[]',
      'DOUBLE PRECISION',
      ' TIMESTAMPTZ\n',
    ];
    expect(types.filter((t) => parseDuckDbType(t) === undefined)).toEqual([]);
    expectAgreement(types);
  });

  it('agrees with DuckDB on generated types', () => {
    expectAgreement(fc.sample(writtenType, { numRuns: 400, seed: 12 }));
  });

  it('leaves to DuckDB what it cannot vouch for', () => {
    const types = [
      '',
      '   ',
      'INTEGR',
      'DECIMAL(39,2)',
      'DECIMAL(0,0)',
      'DECIMAL(5,6)',
      'DECIMAL(1000,2)',
      'DECIMAL(18,2',
      'INTEGER) IS NULL OR (1',
      'INTEGER; DROP TABLE x',
      'INTEGER -- comment',
      '"INTEGER"',
      'VARCHAR COLLATE nocase',
      'VARCHAR(10)',
      'INTEGER[3]',
      'STRUCT(a INTEGER)',
      "ENUM('a', 'b')",
      'MAP(VARCHAR)',
      'MAP(VARCHAR, VARCHAR',
      'LIST(INTEGER)',
      'TIMESTAMP WITH',
      'DOUBLE DOUBLE',
      'INTEGER[',
      `${'MAP(VARCHAR, '.repeat(10)}VARCHAR${')'.repeat(10)}`,
    ];
    expect(types.map((t) => [t, parseDuckDbType(t)]).filter(([, c]) => c !== undefined)).toEqual([]);
  });
});
