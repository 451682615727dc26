/**
 * A large run merges into a dataset by digests (compile-merge-sql.ts, `compare: 'digest'`): narrow
 * into an existing version, whether it writes every current column, adds some or leaves some out
 * (compile-narrow-merge-sql.ts), wide into a new dataset. Every mode, with keys of several types,
 * gives the same counts, keys, next version (row hashes included) and rows not applied as the merge
 * by the key's text. (How much memory each join needs is measured in docs/benchmarks.md, not here: at
 * the sizes a test can afford, DuckDB's fixed needs decide, not the join.)
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDuckDbSession, type DuckDbSession } from '../../../engine/duckdb/create-duckdb-session.js';
import { quoteLiteral } from '../../../engine/duckdb/sql.js';
import { compileMergeSql, type MergeMode } from '../../../engine/steps/compile-merge-sql.js';
import { countSupersededRows } from '../../../engine/steps/compile-duplicate-keys-sql.js';
import { importTimeLiteral, importTimeOf } from '../../../engine/steps/import-time.js';

let dir: string;
let session: DuckDbSession | undefined;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-merge-digest-'));
});
afterEach(async () => {
  session?.close();
  session = undefined;
  await rm(dir, { recursive: true, force: true });
});

const DAY1 = new Date('2024-05-01T06:00:00Z');
const DAY2 = new Date('2024-05-02T06:00:00Z');

interface MergeRun {
  incomingTable: string;
  columns: readonly string[];
  currentFile: string | undefined;
  currentColumns: readonly string[];
  mode: MergeMode;
  version: number;
  runTime: Date;
  holdDeletes?: boolean;
  importTimeColumn?: string;
}

/** The merge as merge-dataset-step.ts runs it, up to the next version written to `output`. */
async function merge(db: DuckDbSession, run: MergeRun, compare: 'text' | 'digest', output: string) {
  for (const view of ['next_version', 'not_applied', 'dataset_incoming', 'dataset_current'])
    await db.run(`DROP VIEW IF EXISTS ${view}`);
  for (const table of ['joined', 'merge_written', 'merge_left_out', 'merge_dropped'])
    await db.run(`DROP TABLE IF EXISTS ${table}`);
  const sql = compileMergeSql({
    incomingTable: run.incomingTable,
    incomingColumns: run.columns,
    rowColumn: '_ferry_order',
    currentFile: run.currentFile,
    currentColumns: run.currentColumns,
    key: ['id'],
    mode: run.mode,
    version: run.version,
    runTime: run.runTime,
    holdDeletes: run.holdDeletes ?? false,
    importTime: run.importTimeColumn
      ? importTimeOf(
          { timestamp: { column: run.importTimeColumn, default: 'import-time' } } as never,
          run.runTime,
        )
      : undefined,
    compare,
  });
  await db.run(sql.createIncoming);
  await db.run(sql.createCurrent);
  await db.run(sql.createJoined);
  const superseded = await countSupersededRows(sql.superseded, async (statement) =>
    Number((await db.all(statement))[0]?.['n']),
  );
  if (superseded > 0) await db.run(sql.dropSuperseded);
  const [counts] = await db.all(sql.countJoined);
  for (const statement of sql.createNext) await db.run(statement);
  const [deleted] = await db.all(sql.countDeleted);
  const keys = {
    unmatched: await db.all(sql.sampleKeys('unmatched', 10)),
    skipped: await db.all(sql.sampleKeys('skipped', 10)),
    deleted: await db.all(sql.sampleDeleted(10)),
  };
  await db.run(sql.createNotApplied);
  const notApplied = await db.all('SELECT * FROM not_applied ORDER BY _ferry_order');
  await db.all(sql.writeNext(output));
  const next = await db.all(`SELECT * FROM read_parquet(${quoteLiteral(output)}) ORDER BY id`);
  return { counts, superseded, deleted, keys, notApplied, next };
}

/** Day 1's version (every row created) and day 2's rows, as the two sides of every comparison. */
async function setUp(db: DuckDbSession, options: { importTime?: boolean } = {}) {
  // An import time as ferry fills it: the run's own time, which the row hash reads as empty.
  const filled = (at: Date) => `, ${importTimeLiteral(at)} AS seen_at`;
  const at = options.importTime ? filled(DAY1) : '';
  // Keys that only differ in case, in a character, in JSON escaping, or by a prefix.
  await db.run(
    `CREATE TABLE day1 AS SELECT *${at} FROM (VALUES ('a', 'one', 1, 1), ('A', 'two', 2, 2), ('a"b', 'three', 3, 3), ('ab', 'four', 4, 4), ('é', 'five', 5, 5), ('x', 'six', 6, 6), ('xy', 'seven', 7, 7)) v(id, name, score, _ferry_order)`,
  );
  const columns = ['id', 'name', 'score', ...(options.importTime ? ['seen_at'] : [])];
  const current = join(dir, 'v1.parquet');
  await merge(
    db,
    {
      incomingTable: 'day1',
      columns,
      currentFile: undefined,
      currentColumns: [],
      mode: 'upsert',
      version: 1,
      runTime: DAY1,
      ...(options.importTime ? { importTimeColumn: 'seen_at' } : {}),
    },
    'text',
    current,
  );
  // Day 2: 'A' and 'é' changed, 'b' and 'x ' new, 'xy' twice (the later row wins), 'x' and 'ab' absent,
  // the rest unchanged (the import time, when filled, is this run's: not a change).
  const at2 = options.importTime ? filled(DAY2) : '';
  await db.run(
    `CREATE TABLE day2 AS SELECT *${at2} FROM (VALUES ('b', 'new', 10, 1), ('a', 'one', 1, 2), ('A', 'TWO', 2, 3), ('a"b', 'three', 3, 4), ('xy', 'gone', 0, 5), ('é', 'cinq', 5, 6), ('xy', 'seven', 7, 7), ('x ', 'eight', 8, 8)) v(id, name, score, _ferry_order)`,
  );
  return { current, columns };
}

/** Day 2 of `columns` into the version `current` (day 1's, of the same columns). */
function day2Run(
  incomingTable: string,
  columns: readonly string[],
  current: string,
  mode: MergeMode,
): MergeRun {
  return {
    incomingTable,
    columns,
    currentFile: current,
    currentColumns: columns,
    mode,
    version: 2,
    runTime: DAY2,
  };
}

const MODES: MergeMode[] = ['upsert', 'update', 'insert', 'append', 'mirror'];

describe('merge by digest', () => {
  it.each(MODES)('%s: the same counts, keys, next version and rows not applied as by text', async (mode) => {
    session = await createDuckDbSession({ tempDir: dir, memoryLimit: '256MB', threads: 2 });
    const db = session;
    const { current, columns } = await setUp(db);
    const run = day2Run('day2', columns, current, mode);
    const byText = await merge(db, run, 'text', join(dir, 'text.parquet'));
    const byDigest = await merge(db, run, 'digest', join(dir, 'digest.parquet'));
    expect(byDigest).toEqual(byText);
    expect(byText.superseded).toBe(1);
    const expected: Record<MergeMode, object> = {
      upsert: { created: 2n, updated: 2n, unchanged: 3n, skipped: 0n, unmatched: 0n },
      mirror: { created: 2n, updated: 2n, unchanged: 3n, skipped: 0n, unmatched: 0n },
      update: { created: 0n, updated: 2n, unchanged: 3n, skipped: 0n, unmatched: 2n },
      insert: { created: 2n, updated: 0n, unchanged: 0n, skipped: 5n, unmatched: 0n },
      append: { created: 2n, updated: 0n, unchanged: 0n, skipped: 5n, unmatched: 0n },
    };
    expect(byText.counts).toEqual(expected[mode]);
    if (mode === 'mirror') expect(byText.keys.deleted).toEqual([{ k: 'ab' }, { k: 'x' }]);
    if (mode === 'update') expect(byText.keys.unmatched).toEqual([{ k: 'b' }, { k: 'x ' }]);
    // Unchanged rows keep their version and times; changed ones take this run's.
    const rowA = byText.next.find((r) => r['id'] === 'a');
    expect(rowA?.['_ferry_version']).toBe(1n);
  });

  it('mirror holding its deletes, a run that writes some columns, and a run that adds one', async () => {
    session = await createDuckDbSession({ tempDir: dir, memoryLimit: '256MB', threads: 2 });
    const db = session;
    const { current, columns } = await setUp(db);
    await db.run('CREATE TABLE names AS SELECT id, name, _ferry_order FROM day2');
    await db.run(`CREATE TABLE wider AS SELECT *, 'x' || id AS extra FROM day2`);
    // An added column that is empty for some rows: those rows have not changed.
    await db.run(
      `CREATE TABLE wider_some AS SELECT *, CASE WHEN id IN ('a', 'a"b') THEN NULL ELSE 'x' || id END AS extra FROM day2`,
    );
    // A run that leaves 'score' out and adds 'extra', empty for some rows.
    await db.run(
      `CREATE TABLE names_extra AS SELECT id, name, _ferry_order, CASE WHEN id = 'a' THEN NULL ELSE 'x' || id END AS extra FROM day2`,
    );
    const runs: MergeRun[] = [
      { ...day2Run('day2', columns, current, 'mirror'), holdDeletes: true },
      { ...day2Run('names', columns, current, 'upsert'), columns: ['id', 'name'] },
      { ...day2Run('wider', columns, current, 'upsert'), columns: [...columns, 'extra'] },
      ...MODES.map((mode) => ({
        ...day2Run('wider_some', columns, current, mode),
        columns: [...columns, 'extra'],
      })),
      {
        ...day2Run('wider_some', columns, current, 'mirror'),
        columns: [...columns, 'extra'],
        holdDeletes: true,
      },
      ...MODES.map((mode) => ({ ...day2Run('names', columns, current, mode), columns: ['id', 'name'] })),
      { ...day2Run('names', columns, current, 'mirror'), columns: ['id', 'name'], holdDeletes: true },
      ...MODES.map((mode) => ({
        ...day2Run('names_extra', columns, current, mode),
        columns: ['id', 'name', 'extra'],
      })),
    ];
    for (const run of runs) {
      const byText = await merge(db, run, 'text', join(dir, 'text.parquet'));
      const byDigest = await merge(db, run, 'digest', join(dir, 'digest.parquet'));
      expect(byDigest).toEqual(byText);
    }
    // Writing some columns keeps the others: 'A' keeps its score, and an unchanged row stays unchanged.
    const names = await merge(db, runs[1] as MergeRun, 'digest', join(dir, 'digest.parquet'));
    expect(names.next.find((r) => r['id'] === 'A')).toMatchObject({
      name: 'TWO',
      score: 2,
      _ferry_version: 2n,
    });
    expect(names.counts).toMatchObject({ created: 2n, updated: 2n, unchanged: 3n });
    // A new key gets no value for the column the run leaves out.
    expect(names.next.find((r) => r['id'] === 'b')).toMatchObject({ name: 'new', score: null });
    // Leaving 'score' out and adding 'extra': 'A' keeps its score and takes its extra; 'a', whose extra
    // is empty and whose name is the same, is the one unchanged row.
    const namesExtra = await merge(
      db,
      { ...day2Run('names_extra', columns, current, 'upsert'), columns: ['id', 'name', 'extra'] },
      'digest',
      join(dir, 'digest.parquet'),
    );
    expect(namesExtra.counts).toMatchObject({ created: 2n, updated: 4n, unchanged: 1n });
    expect(namesExtra.next.find((r) => r['id'] === 'A')).toMatchObject({
      name: 'TWO',
      score: 2,
      extra: 'xA',
    });
    expect(namesExtra.next.find((r) => r['id'] === 'a')).toMatchObject({ extra: null, _ferry_version: 1n });
    // A column added: every row of this run changes (its hash now covers the new column).
    const wider = await merge(db, runs[2] as MergeRun, 'digest', join(dir, 'digest.parquet'));
    expect(wider.counts).toMatchObject({ created: 2n, updated: 5n, unchanged: 0n });
    // Unless the new column is empty: 'a' and 'a"b' stay unchanged, with their version and times.
    const some = await merge(db, runs[3] as MergeRun, 'digest', join(dir, 'digest.parquet'));
    expect(some.counts).toMatchObject({ created: 2n, updated: 3n, unchanged: 2n });
    expect(some.next.find((r) => r['id'] === 'a')).toMatchObject({ extra: null, _ferry_version: 1n });
    // The kept current rows ('ab', 'x') are stored with their hash over the new columns, as by text.
    expect(some.next.find((r) => r['id'] === 'ab')).toMatchObject({ extra: null, _ferry_version: 1n });
  });

  it('a large run into an existing version merges narrow, whatever columns it writes; into a new dataset, wide', () => {
    const narrow = (columns: string[], options: { newDataset?: boolean; importTime?: boolean } = {}) =>
      compileMergeSql({
        incomingTable: 'day2',
        incomingColumns: columns,
        rowColumn: '_ferry_order',
        currentFile: options.newDataset === true ? undefined : join(dir, 'v1.parquet'),
        currentColumns: options.newDataset === true ? [] : ['id', 'name', 'score', 'seen_at'],
        ...(options.importTime === true
          ? {
              importTime: importTimeOf(
                { timestamp: { column: 'seen_at', default: 'import-time' } } as never,
                DAY2,
              ),
            }
          : {}),
        key: ['id'],
        mode: 'upsert',
        version: 2,
        runTime: DAY2,
        compare: 'digest',
      }).createNext.some((statement) => statement.includes('merge_written'));
    expect(narrow(['id', 'name', 'score', 'seen_at'])).toBe(true);
    expect(narrow(['id', 'name', 'score', 'seen_at', 'extra'])).toBe(true);
    expect(narrow(['id', 'name'])).toBe(true);
    expect(narrow(['id', 'name', 'extra'])).toBe(true);
    expect(narrow(['id', 'name', 'score', 'seen_at'], { importTime: true })).toBe(true);
    // Leaving a column out with an import time: the stored hash is the only safe comparison.
    expect(narrow(['id', 'name', 'seen_at'], { importTime: true })).toBe(false);
    expect(narrow(['id', 'name', 'score'], { newDataset: true })).toBe(false);
  });

  it('an unchanged row keeps the import time it was first given', async () => {
    session = await createDuckDbSession({ tempDir: dir, memoryLimit: '256MB', threads: 2 });
    const db = session;
    const { current, columns } = await setUp(db, { importTime: true });
    const run = { ...day2Run('day2', columns, current, 'upsert'), importTimeColumn: 'seen_at' };
    const byText = await merge(db, run, 'text', join(dir, 'text.parquet'));
    const byDigest = await merge(db, run, 'digest', join(dir, 'digest.parquet'));
    expect(byDigest).toEqual(byText);
    expect(byText.counts).toMatchObject({ created: 2n, updated: 2n, unchanged: 3n });
    const seenAt = (id: string) =>
      (byText.next.find((r) => r['id'] === id)?.['seen_at'] as Date).toISOString();
    expect(seenAt('a')).toBe(DAY1.toISOString());
    expect(seenAt('A')).toBe(DAY2.toISOString());
    // The same with a run that leaves 'score' out (it merges wide: see the test above).
    await db.run('CREATE TABLE day2_names AS SELECT id, name, seen_at, _ferry_order FROM day2');
    for (const mode of MODES) {
      const names = {
        ...day2Run('day2_names', columns, current, mode),
        columns: ['id', 'name', 'seen_at'],
        importTimeColumn: 'seen_at',
      };
      const namesByText = await merge(db, names, 'text', join(dir, 'text.parquet'));
      expect(await merge(db, names, 'digest', join(dir, 'digest.parquet'))).toEqual(namesByText);
    }
  });
  it.each(['BIGINT', 'DECIMAL(12,2)', 'DATE', 'TIMESTAMPTZ'])(
    'a %s key: by digest as by text',
    async (type) => {
      session = await createDuckDbSession({ tempDir: dir, memoryLimit: '256MB', threads: 2 });
      const db = session;
      const key = (n: number) => `CAST(DATE '2024-01-01' + INTERVAL (${n}) DAY AS ${type})`;
      const value = (n: number) =>
        type === 'DATE' || type === 'TIMESTAMPTZ' ? key(n) : `CAST(${n} AS ${type})`;
      await db.run(
        `CREATE TABLE k1 AS SELECT ${value(1)} AS id, 'one' AS name, 1 AS _ferry_order UNION ALL SELECT ${value(2)}, 'two', 2 UNION ALL SELECT ${value(3)}, 'three', 3`,
      );
      const current = join(dir, 'k1.parquet');
      const columns = ['id', 'name'];
      const first = {
        incomingTable: 'k1',
        columns,
        currentFile: undefined,
        currentColumns: [],
        mode: 'upsert' as const,
        version: 1,
        runTime: DAY1,
      };
      await merge(db, first, 'text', current);
      // 2 changed, 3 unchanged, 4 new, 1 absent (mirror deletes it).
      await db.run(
        `CREATE TABLE k2 AS SELECT ${value(2)} AS id, 'TWO' AS name, 1 AS _ferry_order UNION ALL SELECT ${value(3)}, 'three', 2 UNION ALL SELECT ${value(4)}, 'four', 3`,
      );
      for (const mode of ['upsert', 'mirror'] as const) {
        const run = day2Run('k2', columns, current, mode);
        const byText = await merge(db, run, 'text', join(dir, 'text.parquet'));
        expect(byText.counts).toMatchObject({ created: 1n, updated: 1n, unchanged: 1n });
        expect(await merge(db, run, 'digest', join(dir, 'digest.parquet'))).toEqual(byText);
      }
    },
  );
});
