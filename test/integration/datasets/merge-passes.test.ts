/**
 * The merge reads this run's rows once (a join into one table that every count, sample, rows-not-
 * applied file and the new version read): what it reports must not depend on that. Superseded rows,
 * rejected rows and rows not applied together in one run; the value a row not applied is reported
 * with; the row count of the version, written or not; a computed column failing inside the merge.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { at, effectCounts, startDatasetFixture, type DatasetFixture } from './dataset-fixture.js';

let fx: DatasetFixture;
beforeAll(async () => {
  fx = await startDatasetFixture();
});
afterAll(async () => {
  await fx?.stop();
});

const ACCOUNTS = {
  accounts: {
    kind: 'entity',
    key: ['account_id'],
    columns: { account_id: 'VARCHAR', name: 'VARCHAR', plan: 'VARCHAR', mrr: 'DECIMAL(12,2)' },
  },
};
const DAY1 = at('2024-05-01T06:00:00Z');
const DAY2 = at('2024-05-02T06:00:00Z');

describe('rows not applied', () => {
  it('rejected and unmatched rows in one file by source row, a superseded row only once', async () => {
    const p = await fx.createProject({ datasets: ACCOUNTS });
    await p.writeImport('accounts', { dataset: 'accounts', mode: 'upsert' });
    await p.writeImport('updates', { dataset: 'accounts', mode: 'update', rejectsDirectory: 'rejects/' });
    await p.put('in/accounts/a.csv', 'account_id,name,plan,mrr\na1,Acme,pro,100\na2,Beta,free,0\n');
    await p.run('apply', 'accounts', DAY1);
    await p.put(
      'in/updates/u.csv',
      // a9 twice (the second wins), a1 with an mrr that does not cast, a2 updated, a8 unmatched.
      'account_id,plan,mrr\na9,x,1\na1,pro,abc\na2,pro,5\na9,y,2\na8,z,3\n',
    );
    const plan = await p.run('apply', 'updates', DAY2);
    expect(plan.error).toBeUndefined();
    expect(effectCounts(plan)).toEqual({
      created: 0,
      updated: 1,
      unchanged: 0,
      skipped: 0,
      unmatched: 2,
      deleted: 0,
      rows: 2,
    });
    expect(plan.dataset?.superseded).toBe(1);
    expect(plan.dataset?.keys).toEqual({ unmatched: ['a9', 'a8'] });
    expect(plan.warnings.map((w) => w.code)).toEqual(['DATASET_DUPLICATE_KEY', 'DATASET_UNMATCHED']);
    expect(plan.outputs.map((o) => o.rows)).toEqual([3]);
    expect((await p.get('rejects/updates-rejects-20240502060000.csv', p.rejectsBucket)).toString()).toBe(
      '_ferry_row,account_id,plan,mrr,_ferry_reason\n' +
        '2,a1,pro,abc,"column ""mrr"" does not cast to DECIMAL(12,2) (dataset accounts)"\n' +
        '4,a9,y,2.00,key not in dataset (mode: update)\n' +
        '5,a8,z,3.00,key not in dataset (mode: update)\n',
    );
  });

  it("insert: an existing row sent again is reported with this run's import time, not the kept one", async () => {
    const p = await fx.createProject({ datasets: { contacts: { kind: 'entity', key: ['contact_id'] } } });
    await p.writeImport('contacts', {
      dataset: 'contacts',
      mode: 'insert',
      mapping: { timestamp: { column: 'seen_at', default: 'import-time' } },
      rejectsDirectory: 'rejects/',
    });
    await p.put('in/contacts/1.csv', 'contact_id,email\nc1,ada@x.io\n');
    await p.run('apply', 'contacts', DAY1);
    // c1 again, unchanged: skipped, and kept with the import time of day 1.
    await p.put('in/contacts/2.csv', 'contact_id,email\nc1,ada@x.io\nc2,bob@x.io\n');
    const plan = await p.run('apply', 'contacts', DAY2);
    expect(effectCounts(plan)).toMatchObject({ created: 1, skipped: 1, rows: 2 });
    const rejects = (await p.get('rejects/contacts-rejects-20240502060000.csv', p.rejectsBucket)).toString();
    expect(rejects.split('\n')[0]).toBe('_ferry_row,contact_id,email,seen_at,_ferry_reason');
    expect(rejects.split('\n')[1]).toMatch(
      /^1,c1,ada@x\.io,2024-05-02 06:00:00(\.0+)?\+00,key already in dataset/,
    );
    const seen = "contact_id, strftime(seen_at, '%Y-%m-%d') AS seen";
    expect(await p.readDataset('contacts', { select: seen })).toEqual([
      { contact_id: 'c1', seen: '2024-05-01' },
      { contact_id: 'c2', seen: '2024-05-02' },
    ]);
  });
});

describe('the version', () => {
  it('counts its rows whether a new version is written or the current one stays', async () => {
    const p = await fx.createProject({ datasets: ACCOUNTS });
    await p.writeImport('accounts', { dataset: 'accounts', mode: 'upsert' });
    await p.put('in/accounts/1.csv', 'account_id,name,plan,mrr\na1,Acme,pro,100\na2,Beta,free,0\n');
    const first = await p.run('apply', 'accounts', DAY1);
    expect(effectCounts(first)).toMatchObject({ created: 2, rows: 2 });
    await p.put('in/accounts/2.csv', 'account_id,name,plan,mrr\na2,Beta,free,0\n');
    const same = await p.run('apply', 'accounts', DAY2);
    expect([same.dataset?.unchanged, same.dataset?.rows, same.dataset?.version]).toEqual([1, 2, 1]);
    const manifest = await p.manifest('accounts');
    expect(manifest.versions.map((v) => [v.version, v.rows])).toEqual([[1, 2]]);
  });

  it('a computed column that fails on the data is named at its setting, and no version is made', async () => {
    const p = await fx.createProject({ datasets: { events: { kind: 'entity', key: ['id'] } } });
    await p.writeImport('events', {
      dataset: 'events',
      mode: 'upsert',
      mapping: { compute: { n: 'CAST(b AS INTEGER)' } },
    });
    await p.put('in/events/1.csv', 'id,b\nx,1\ny,not-a-number\n');
    const plan = await p.run('apply', 'events', DAY1);
    expect(plan.error).toMatchObject({ code: 'MAPPING_COMPUTE_FAILED' });
    expect((await p.manifest('events')).current).toBeNull();
  });
});

/** How the merge's join found the current rows: by the key's text, or by digests (wide or narrow). */
const joinOf = (plan: { sql: Array<{ sql: string }> }) => {
  const statement = (start: string) => plan.sql.find((s) => s.sql.startsWith(start))?.sql ?? '';
  const incoming = statement('CREATE VIEW dataset_incoming');
  if (incoming.includes('md5_number(')) {
    return statement('CREATE TABLE joined').includes('_ferry_differs') ? 'narrow' : 'digest';
  }
  return 'text';
};

describe('a run past the database-file threshold', () => {
  it('merges by digests, with the same counts, keys, rows not applied and version as a run that fits', async () => {
    const outcome = async (largeRun: boolean) => {
      const plans = { kind: 'entity', key: ['plan'] };
      const p = await fx.createProject({ datasets: { ...ACCOUNTS, plans }, largeRun });
      await p.writeImport('accounts', { dataset: 'accounts', mode: 'upsert' });
      await p.writeImport('updates', { dataset: 'accounts', mode: 'update', rejectsDirectory: 'rejects/' });
      await p.writeImport('mirror', {
        dataset: 'accounts',
        mode: 'mirror',
        mapping: { relations: { plan: { dataset: 'plans' } } },
      });
      await p.put(
        'in/accounts/a.csv',
        'account_id,name,plan,mrr\na1,Acme,pro,100\na2,Beta,free,0\na3,Gamma,pro,7\n',
      );
      const day1 = await p.run('apply', 'accounts', DAY1);
      // a9 twice (the second wins), a1 with an mrr that does not cast, a2 updated, a8 unmatched.
      await p.put('in/updates/u.csv', 'account_id,plan,mrr\na9,x,1\na1,pro,abc\na2,pro,5\na9,y,2\na8,z,3\n');
      const day2 = await p.run('apply', 'updates', DAY2);
      // mirror: a3 is absent and deleted, a2 unchanged, a4 created.
      await p.put(
        'in/mirror/m.csv',
        'account_id,name,plan,mrr\na1,Acme,pro,100\na2,Beta,pro,5\na4,Delta,free,1\n',
      );
      const day3 = await p.run('apply', 'mirror', at('2024-05-03T06:00:00Z'));
      const merges = [day1, day2, day3].map((plan) => ({
        error: plan.error,
        counts: effectCounts(plan),
        superseded: plan.dataset?.superseded,
        keys: plan.dataset?.keys,
        warnings: plan.warnings.map((w) => w.message),
        missingRelations: plan.dataset?.missingRelations,
        join: joinOf(plan),
      }));
      return {
        merges,
        rejects: (await p.get('rejects/updates-rejects-20240502060000.csv', p.rejectsBucket)).toString(),
        rows: await p.readDataset('accounts', {
          select: '* EXCLUDE (_ferry_created_at, _ferry_updated_at)',
        }),
      };
    };
    const small = await outcome(false);
    const byDigest = await outcome(true);
    expect(small.merges.map((m) => m.join)).toEqual(['text', 'text', 'text']);
    // Day 1 creates the dataset: by digests, wide (there is no current version to join); day 2 writes
    // some columns and day 3 all of them: narrow.
    expect(byDigest.merges.map((m) => m.join)).toEqual(['digest', 'narrow', 'narrow']);
    expect({ ...byDigest, merges: byDigest.merges.map((m) => ({ ...m, join: undefined })) }).toEqual({
      ...small,
      merges: small.merges.map((m) => ({ ...m, join: undefined })),
    });
    expect(small.merges[2]?.missingRelations).toEqual([
      { column: 'plan', dataset: 'plans', rows: 3, keys: ['free', 'pro'] },
    ]);
    expect(small.merges.map((m) => m.counts)).toEqual([
      { created: 3, updated: 0, unchanged: 0, skipped: 0, unmatched: 0, deleted: 0, rows: 3 },
      { created: 0, updated: 1, unchanged: 0, skipped: 0, unmatched: 2, deleted: 0, rows: 3 },
      { created: 1, updated: 0, unchanged: 2, skipped: 0, unmatched: 0, deleted: 1, rows: 3 },
    ]);
    expect(small.merges[2]?.keys).toEqual({ deleted: ['a3'] });
  });
});

describe('a key column whose type changes', () => {
  it('is aligned to its text, so that the same key in another type is still one key', async () => {
    const p = await fx.createProject({ datasets: { by_id: { kind: 'entity', key: ['id'] } } });
    await p.writeImport('ids', { dataset: 'by_id', mode: 'upsert' });
    await p.put('in/ids/1.csv', 'id,name\n1,a\n2,b\n');
    expect((await p.run('apply', 'ids', DAY1)).error).toBeUndefined();
    // Day 2 ids are not all numbers: x3 is rejected as a type change (the source column was BIGINT),
    // and this run reads the column as text, '2', where the version holds the number 2. The key's two
    // types are aligned to its text (align-dataset-types.ts), so '2' updates 2: as JSON, the string
    // "2" and the number 2 were two keys, and 2 was created a second time.
    await p.put('in/ids/2.csv', 'id,name\n2,B\nx3,c\n');
    const day2 = await p.run('apply', 'ids', DAY2);
    expect(day2.rejects.map((r) => r.reason)).toEqual(['schema:type_change(id): not BIGINT']);
    expect(effectCounts(day2)).toMatchObject({ created: 0, updated: 1, unchanged: 0, rows: 2 });
    expect(await p.readDataset('by_id', { select: 'id, name', orderBy: 'id' })).toEqual([
      { id: '1', name: 'a' },
      { id: '2', name: 'B' },
    ]);
  });
});
