/**
 * A run past the database-file threshold diffs by digests (compile-diff-sql.ts, `compare: 'digest'`):
 * the same rows picked, the same kinds and removed keys as the join over text, and a join that fits
 * where the one over text does not: 5M rows against 48 MB, where the text join ran out of memory
 * (2 threads, DuckDB 1.5.5; so did 10M rows at 64 MB and 15M at 96 MB), as it did for a 100M-row
 * day 2 at the default 640 MiB. The digest join passed at 40 MB too.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDuckDbSession, type DuckDbSession } from '../../../engine/duckdb/create-duckdb-session.js';
import { quoteLiteral } from '../../../engine/duckdb/sql.js';
import { compileDiffSql } from '../../../engine/steps/compile-diff-sql.js';

let dir: string;
let session: DuckDbSession | undefined;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-diff-digest-'));
});
afterEach(async () => {
  session?.close();
  session = undefined;
  await rm(dir, { recursive: true, force: true });
});

/** compileDiffSql over a `mapped` relation with the data columns `id`, `name`. */
function diffSql(previousSnapshot: string | undefined, compare: 'text' | 'digest') {
  return compileDiffSql({
    mappedTable: 'mapped',
    columns: ['id', 'name'],
    key: ['id'],
    previousSnapshot,
    compare,
  });
}

/** Runs the diff of `mapped` against `snapshot` into `changed` and `removed`; returns both, in order. */
async function diff(db: DuckDbSession, snapshot: string, compare: 'text' | 'digest') {
  const sql = diffSql(snapshot, compare);
  for (const table of ['current', 'changed', 'gone', 'removed'])
    await db.run(`DROP TABLE IF EXISTS ${table}`);
  await db.run(sql.createCurrent);
  for (const statement of sql.createChanged('changed', ['id', 'name'], '_ferry_order', { superseded: false }))
    await db.run(statement);
  await db.run(sql.createGone({ holdAll: false, rejectedKeys: false }));
  await db.run(sql.createRemoved);
  return {
    changed: await db.all('SELECT id, name, _ferry_order, _ferry_diff FROM changed ORDER BY _ferry_order'),
    removed: await db.all('SELECT id FROM removed ORDER BY _ferry_key'),
  };
}

describe('diff by digest', () => {
  it('picks the same rows, kinds and removed keys as the diff by text', async () => {
    session = await createDuckDbSession({ tempDir: dir, memoryLimit: '256MB', threads: 2 });
    const db = session;
    const snapshot = join(dir, 'previous.parquet');
    // Day 1: keys that only differ in case, in a character, in JSON escaping, or by a prefix.
    await db.run(
      `CREATE TABLE mapped AS SELECT * FROM (VALUES ('a', 'one', 1), ('A', 'two', 2), ('a"b', 'three', 3), ('ab', 'four', 4), ('é', 'five', 5), ('x', 'six', 6), ('xy', 'seven', 7)) v(id, name, _ferry_row)`,
    );
    await db.run(`ALTER TABLE mapped ADD COLUMN _ferry_reject VARCHAR`);
    const day1 = diffSql(undefined, 'text');
    await db.run(day1.createCurrent);
    await db.run(day1.writeSnapshot(snapshot));
    // Day 2: 'A' and 'é' changed, 'x' and 'ab' removed, 'b' and 'x ' added, the rest unchanged.
    await db.run('DROP TABLE mapped');
    await db.run(
      `CREATE TABLE mapped AS SELECT * FROM (VALUES ('b', 'new', 1), ('a', 'one', 2), ('A', 'TWO', 3), ('a"b', 'three', 4), ('é', 'cinq', 5), ('xy', 'seven', 6), ('x ', 'eight', 7)) v(id, name, _ferry_row)`,
    );
    await db.run(`ALTER TABLE mapped ADD COLUMN _ferry_reject VARCHAR`);

    const byText = await diff(db, snapshot, 'text');
    const byDigest = await diff(db, snapshot, 'digest');
    expect(byText.changed).toEqual([
      { id: 'b', name: 'new', _ferry_order: 1, _ferry_diff: 'added' },
      { id: 'A', name: 'TWO', _ferry_order: 3, _ferry_diff: 'changed' },
      { id: 'é', name: 'cinq', _ferry_order: 5, _ferry_diff: 'changed' },
      { id: 'x ', name: 'eight', _ferry_order: 7, _ferry_diff: 'added' },
    ]);
    expect(byText.removed).toEqual([{ id: 'ab' }, { id: 'x' }]);
    expect(byDigest).toEqual(byText);
    // Its pick table is dropped once the changed rows are made.
    expect(
      await db.all(`SELECT count(*) AS n FROM duckdb_tables() WHERE table_name = 'diff_picked'`),
    ).toEqual([{ n: 0n }]);
  });

  it('joins 5M rows with a 5M-row snapshot within 48 MB', async () => {
    const rows = 5_000_000;
    session = await createDuckDbSession({
      tempDir: dir,
      memoryLimit: '48MB',
      threads: 2,
      databaseFile: 'run.duckdb',
    });
    const db = session;
    const snapshot = join(dir, 'previous.parquet');
    const shift = rows / 50;
    // The snapshot as ferry writes it: keys 0 … rows-1 shifted by `shift` (so `shift` keys are added and
    // as many removed), one row in 20 with another hash.
    const key = (n: string) => `CAST(to_json({'id': CAST(${n} AS VARCHAR)}) AS VARCHAR)`;
    await db.run(
      `COPY (SELECT ${key(`range + ${shift}`)} AS _ferry_key, CASE WHEN range % 20 = 0 THEN md5('old') ELSE md5(CAST((range + ${shift}) % 1000 AS VARCHAR)) END AS _ferry_hash, CAST(range + ${shift} AS VARCHAR) AS id ` +
        `FROM range(${rows})) TO ${quoteLiteral(snapshot)} (FORMAT parquet)`,
    );
    // current, as createCurrent leaves it (its hash here is md5 of a short text, as the snapshot's).
    await db.run(
      `CREATE TABLE current AS SELECT range AS _ferry_row, ${key('range')} AS _ferry_key, md5(CAST(range % 1000 AS VARCHAR)) AS _ferry_hash, CAST(range AS VARCHAR) AS id FROM range(${rows})`,
    );
    await db.run(`CREATE VIEW mapped AS SELECT id, id AS name, _ferry_row FROM current`);
    const sql = diffSql(snapshot, 'digest');
    for (const statement of sql.createChanged('changed', ['id', 'name'], '_ferry_order', {
      superseded: false,
    }))
      await db.run(statement);
    expect(
      await db.all(`SELECT _ferry_diff AS kind, count(*) AS n FROM changed GROUP BY 1 ORDER BY 1`),
    ).toEqual([
      { kind: 'added', n: BigInt(shift) },
      { kind: 'changed', n: BigInt((rows - shift) / 20) },
    ]);
  });
});
