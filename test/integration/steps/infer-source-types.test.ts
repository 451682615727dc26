import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDuckDbSession, type DuckDbSession } from '../../../engine/duckdb/create-duckdb-session.js';
import { inferSourceTypes, SAMPLE_ROWS } from '../../../engine/steps/infer-source-types.js';
import type { StepContext } from '../../../engine/steps/step-context.js';

let dir: string;
let session: DuckDbSession;
const sql: StepContext['sql'] = [];
const context = () => ({ session, sql }) as unknown as StepContext;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-infer-'));
  session = await createDuckDbSession({ tempDir: dir });
});
afterAll(async () => {
  session.close();
  await rm(dir, { recursive: true, force: true });
});

/** A table of `rows` rows whose column `c` is `usual` except at row `at` (1-based), which is `odd`. */
async function table(name: string, rows: number, usual: string, at: number, odd: string): Promise<void> {
  await session.run(
    `CREATE TABLE ${name} AS SELECT CASE WHEN range + 1 = ${at} THEN ${odd} ELSE ${usual} END AS c FROM range(${rows}) ORDER BY range`,
  );
}

/** Whether every trimmed value of x reads as the type: the definition, over every row. */
const READS_AS_TRIMMED: Record<string, string> = {
  BIGINT: `bool_and(x IS NULL OR regexp_full_match(x, '[+-]?[0-9]{1,18}'))`,
  DOUBLE: `bool_and(x IS NULL OR TRY_CAST(x AS DOUBLE) IS NOT NULL)`,
  BOOLEAN: `bool_and(x IS NULL OR lower(x) IN ('true', 'false'))`,
  DATE: `bool_and(x IS NULL OR (regexp_full_match(x, '[0-9]{4}-[0-9]{2}-[0-9]{2}') AND TRY_CAST(x AS DATE) IS NOT NULL))`,
  TIMESTAMP: `bool_and(x IS NULL OR TRY_CAST(x AS TIMESTAMP) IS NOT NULL)`,
};

describe('inferSourceTypes', () => {
  it('types each column by every value, however few rows', async () => {
    await session.run(
      `CREATE TABLE small AS SELECT * FROM (VALUES ('1', '1.5', 'true', '2024-01-02', '2024-01-02 03:04:05', 'x', NULL, ' 7 '), (NULL, '2', 'FALSE', '', '2024-01-03', '2', '', '')) t(i, d, b, dt, ts, s, n, padded)`,
    );
    const types = await inferSourceTypes(context(), 'small', ['i', 'd', 'b', 'dt', 'ts', 's', 'n', 'padded']);
    expect(Object.fromEntries(types)).toEqual({
      i: 'BIGINT',
      d: 'DOUBLE',
      b: 'BOOLEAN',
      dt: 'DATE',
      ts: 'TIMESTAMP',
      s: 'VARCHAR',
      n: 'NULL',
      padded: 'BIGINT',
    });
  });

  it('sees a value unlike the sample past the sampled rows', async () => {
    const rows = SAMPLE_ROWS * 3;
    await table('late_text', rows, 'CAST(range AS VARCHAR)', rows, `'n/a'`);
    await table('late_double', rows, 'CAST(range AS VARCHAR)', rows - 5, `'100.5'`);
    await table('late_value', rows, 'NULL', rows, `'2024-05-06'`);
    await table('all_ints', rows, 'CAST(range AS VARCHAR)', 0, `''`);
    expect((await inferSourceTypes(context(), 'late_text', ['c'])).get('c')).toBe('VARCHAR');
    expect((await inferSourceTypes(context(), 'late_double', ['c'])).get('c')).toBe('DOUBLE');
    expect((await inferSourceTypes(context(), 'late_value', ['c'])).get('c')).toBe('DATE');
    expect((await inferSourceTypes(context(), 'all_ints', ['c'])).get('c')).toBe('BIGINT');
  });

  it('types padded values past the sample as their trimmed text reads, whatever the padding', async () => {
    // The full-scan check trims only values that do not fit as they are: it must agree with typing
    // every trimmed value. Each case: the usual value of its type, then one odd value after the sample.
    const usual: Record<string, string> = {
      BIGINT: "'7'",
      DOUBLE: "'1.5'",
      BOOLEAN: "'true'",
      DATE: "'2024-01-02'",
      TIMESTAMP: "'2024-01-02 03:04:05'",
    };
    const odd = [
      "' 8 '",
      "'  -9'",
      "'+10  '",
      "' 2.5 '",
      "' 1e3'",
      "' inf '",
      "' TRUE '",
      "'false  '",
      "' 2024-05-06 '",
      "'2024-05-06  '",
      "' 2024-05-06 07:08:09 '",
      "' 2024-05-06T07:08:09Z'",
      "'\t7\t'",
      "chr(160) || '7' || chr(160)",
      "chr(12288) || '2024-05-06'",
      "'7' || chr(10)",
      "' '",
      "' x '",
    ];
    let n = 0;
    for (const [type, value] of Object.entries(usual)) {
      for (const o of odd) {
        const name = `padded_${n++}`;
        await table(name, SAMPLE_ROWS + 10, value, SAMPLE_ROWS + 5, o);
        const [reference] = await session.all(
          `SELECT ${READS_AS_TRIMMED[type]} AS fits FROM (SELECT NULLIF(trim(c), '') AS x FROM ${name})`,
        );
        const inferred = (await inferSourceTypes(context(), name, ['c'])).get('c');
        if (reference?.['fits'] === true) expect([name, o, inferred]).toEqual([name, o, type]);
        else expect([name, o, inferred]).not.toEqual([name, o, type]);
      }
    }
  });

  it('scans every row with one query when the sample holds', async () => {
    await table('steady', SAMPLE_ROWS * 2, 'CAST(range AS VARCHAR)', 0, `''`);
    const before = sql.length;
    await inferSourceTypes(context(), 'steady', ['c']);
    expect(sql.length - before).toBe(2);
  });
});
