/**
 * Dataset sink modes through S3 (the Vitally "Create and update" vs "only Update existing", events
 * appended, mirror deleting): exact effect counts, exact dataset contents, a run that changes
 * nothing makes no new version, rows that cannot be applied written to the rejects bucket.
 */
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
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
const ACCOUNT_ROWS =
  'account_id, name, plan, CAST(mrr AS VARCHAR) AS mrr, CAST(_ferry_version AS INTEGER) AS v';
const DAY1 = at('2024-05-01T06:00:00Z');
const DAY2 = at('2024-05-02T06:00:00Z');
const DAY3 = at('2024-05-03T06:00:00Z');

describe('upsert', () => {
  it('deleting a source file never deletes dataset rows', async () => {
    const p = await fx.createProject({ datasets: ACCOUNTS });
    await p.writeImport('accounts', { dataset: 'accounts', mode: 'upsert' });
    await p.put('in/accounts/1.csv', 'account_id,name,plan,mrr\na1,Acme,pro,100\n');
    await p.put('in/accounts/2.csv', 'account_id,name,plan,mrr\na2,Beta,free,0\n');
    await p.run('apply', 'accounts', DAY1);
    await fx.server.client.send(
      new DeleteObjectCommand({ Bucket: p.sourceBucket, Key: 'in/accounts/1.csv' }),
    );
    await p.put('in/accounts/3.csv', 'account_id,name,plan,mrr\na3,Gamma,pro,50\n');
    const next = await p.run('apply', 'accounts', DAY2);
    expect(effectCounts(next)).toMatchObject({ created: 1, deleted: 0, rows: 3 });
    expect((await p.readDataset('accounts', { select: 'account_id' })).map((r) => r['account_id'])).toEqual([
      'a1',
      'a2',
      'a3',
    ]);
  });

  it('keeps the import time an unchanged row was first given (mapping.timestamp.default: import-time)', async () => {
    const p = await fx.createProject({
      datasets: { contacts: { kind: 'entity', key: ['contact_id'] } },
    });
    await p.writeImport('contacts', {
      dataset: 'contacts',
      mode: 'upsert',
      mapping: { timestamp: { column: 'seen_at', default: 'import-time' } },
    });
    await p.put('in/contacts/1.csv', 'contact_id,email\nc1,ada@x.io\nc2,bob@x.io\n');
    await p.run('apply', 'contacts', DAY1);
    // The same rows again, one of them changed: only that one is updated and re-stamped.
    await p.put('in/contacts/2.csv', 'contact_id,email\nc1,ada@x.io\nc2,bob@y.io\n');
    const second = await p.run('apply', 'contacts', DAY2);
    expect(effectCounts(second)).toMatchObject({ created: 0, updated: 1, unchanged: 1 });
    const rows =
      "contact_id, email, strftime(seen_at, '%Y-%m-%d') AS seen, CAST(_ferry_version AS INTEGER) AS v";
    expect(await p.readDataset('contacts', { select: rows })).toEqual([
      { contact_id: 'c1', email: 'ada@x.io', seen: '2024-05-01', v: 1 },
      { contact_id: 'c2', email: 'bob@y.io', seen: '2024-05-02', v: 2 },
    ]);
    // An identical third run changes nothing and makes no new version.
    await p.put('in/contacts/3.csv', 'contact_id,email\nc1,ada@x.io\nc2,bob@y.io\n');
    const third = await p.run('apply', 'contacts', DAY3);
    expect([third.dataset?.unchanged, third.dataset?.version]).toEqual([2, 2]);
  });

  it('creates, updates and leaves unchanged rows; an identical re-run makes no new version', async () => {
    const p = await fx.createProject({ datasets: ACCOUNTS });
    await p.writeImport('accounts', { dataset: 'accounts', mode: 'upsert' });
    await p.put(
      'in/accounts/accounts_1.csv',
      'account_id,name,plan,mrr\na1,Acme,pro,100\na2,Beta,free,0\na3,Gamma,pro,50.5\n',
    );
    const first = await p.run('apply', 'accounts', DAY1);
    expect(first.error).toBeUndefined();
    expect(effectCounts(first)).toEqual({
      created: 3,
      updated: 0,
      unchanged: 0,
      skipped: 0,
      unmatched: 0,
      deleted: 0,
      rows: 3,
    });
    expect(first.dataset?.version).toBe(1);

    await p.put(
      'in/accounts/accounts_2.csv',
      'account_id,name,plan,mrr\na1,Acme,pro,100.00\na2,Beta,pro,20\na4,Delta,free,0\n',
    );
    const second = await p.run('apply', 'accounts', DAY2);
    expect(effectCounts(second)).toEqual({
      created: 1,
      updated: 1,
      unchanged: 1,
      skipped: 0,
      unmatched: 0,
      deleted: 0,
      rows: 4,
    });
    expect(second.dataset?.version).toBe(2);
    expect(second.counts.rowsRead).toBe(3);
    expect(second.counts.rowsWritten).toBe(2);
    expect(await p.readDataset('accounts', { select: ACCOUNT_ROWS })).toEqual([
      { account_id: 'a1', name: 'Acme', plan: 'pro', mrr: '100.00', v: 1 },
      { account_id: 'a2', name: 'Beta', plan: 'pro', mrr: '20.00', v: 2 },
      { account_id: 'a3', name: 'Gamma', plan: 'pro', mrr: '50.50', v: 1 },
      { account_id: 'a4', name: 'Delta', plan: 'free', mrr: '0.00', v: 2 },
    ]);
    // Created keeps the first write's time; updated moves with the change.
    expect(
      await p.readDataset('accounts', {
        select: 'account_id, _ferry_created_at AS c, _ferry_updated_at AS u',
      }),
    ).toEqual([
      { account_id: 'a1', c: DAY1, u: DAY1 },
      { account_id: 'a2', c: DAY1, u: DAY2 },
      { account_id: 'a3', c: DAY1, u: DAY1 },
      { account_id: 'a4', c: DAY2, u: DAY2 },
    ]);

    // The same snapshot again, in a new file: nothing changes, and the version does not grow.
    const before = await p.readDataset('accounts', { select: '*' });
    await p.put(
      'in/accounts/accounts_3.csv',
      'account_id,name,plan,mrr\na1,Acme,pro,100\na2,Beta,pro,20\na4,Delta,free,0\n',
    );
    const third = await p.run('apply', 'accounts', DAY3);
    expect(third.error).toBeUndefined();
    expect(effectCounts(third)).toEqual({
      created: 0,
      updated: 0,
      unchanged: 3,
      skipped: 0,
      unmatched: 0,
      deleted: 0,
      rows: 4,
    });
    expect(third.dataset?.version).toBe(2);
    const manifest = await p.manifest('accounts');
    expect(manifest.current).toBe(2);
    expect(manifest.versions.map((v) => v.version)).toEqual([1, 2]);
    expect(await p.readDataset('accounts', { select: '*' })).toEqual(before);
    // And with no new file there is nothing to do at all.
    const fourth = await p.run('apply', 'accounts', at('2024-05-04T06:00:00Z'));
    expect(fourth.status).toBe('no-changes');
    expect((await p.manifest('accounts')).versions.map((v) => v.version)).toEqual([1, 2]);
  });

  it('keeps the columns a run does not provide, and does not count them as changes', async () => {
    const p = await fx.createProject({ datasets: ACCOUNTS });
    await p.writeImport('accounts', { dataset: 'accounts', mode: 'upsert' });
    await p.writeImport('plans', { dataset: 'accounts', mode: 'upsert' });
    await p.put('in/accounts/a.csv', 'account_id,name,plan,mrr\na1,Acme,pro,100\na2,Beta,free,0\n');
    await p.run('apply', 'accounts', DAY1);
    await p.put('in/plans/p.csv', 'account_id,plan\na1,enterprise\na2,free\n');
    const plans = await p.run('apply', 'plans', DAY2);
    expect(effectCounts(plans)).toEqual({
      created: 0,
      updated: 1,
      unchanged: 1,
      skipped: 0,
      unmatched: 0,
      deleted: 0,
      rows: 2,
    });
    // The full snapshot again: a1's name and mrr are as they were, only its plan is "changed" back.
    await p.put('in/accounts/b.csv', 'account_id,name,plan,mrr\na1,Acme,enterprise,100\na2,Beta,free,0\n');
    const again = await p.run('apply', 'accounts', DAY3);
    expect(effectCounts(again)).toEqual({
      created: 0,
      updated: 0,
      unchanged: 2,
      skipped: 0,
      unmatched: 0,
      deleted: 0,
      rows: 2,
    });
    expect(again.dataset?.version).toBe(2);
    expect(await p.readDataset('accounts', { select: ACCOUNT_ROWS })).toEqual([
      { account_id: 'a1', name: 'Acme', plan: 'enterprise', mrr: '100.00', v: 2 },
      { account_id: 'a2', name: 'Beta', plan: 'free', mrr: '0.00', v: 1 },
    ]);
  });

  it('a pipeline that adds a column leaves it NULL in the rows it does not touch', async () => {
    const p = await fx.createProject({
      datasets: {
        users: {
          kind: 'entity',
          key: ['user_id'],
          columns: { user_id: 'VARCHAR', email: 'VARCHAR', sessions: 'INTEGER' },
        },
      },
    });
    await p.writeImport('users', { dataset: 'users', mode: 'upsert' });
    await p.writeImport('usage', { dataset: 'users', mode: 'update' });
    await p.put('in/users/1.csv', 'user_id,email\nu1,ada@x.io\nu2,bob@x.io\n');
    await p.run('apply', 'users', DAY1);
    await p.put('in/usage/1.csv', 'user_id,sessions\nu1,5\n');
    const usage = await p.run('apply', 'usage', DAY2);
    expect(usage.error).toBeUndefined();
    expect(effectCounts(usage)).toEqual({
      created: 0,
      updated: 1,
      unchanged: 0,
      skipped: 0,
      unmatched: 0,
      deleted: 0,
      rows: 2,
    });
    const rows = 'user_id, email, sessions, CAST(_ferry_version AS INTEGER) AS v';
    expect(await p.readDataset('users', { select: rows })).toEqual([
      { user_id: 'u1', email: 'ada@x.io', sessions: 5, v: 2 },
      { user_id: 'u2', email: 'bob@x.io', sessions: null, v: 1 },
    ]);
    // The first pipeline's snapshot again: nothing changed.
    await p.put('in/users/2.csv', 'user_id,email\nu1,ada@x.io\nu2,bob@x.io\n');
    const again = await p.run('apply', 'users', DAY3);
    expect([again.dataset?.unchanged, again.dataset?.version]).toEqual([2, 2]);
  });

  it('the last row of a key wins within one run, and the superseded rows are counted', async () => {
    const p = await fx.createProject({ datasets: ACCOUNTS });
    await p.writeImport('accounts', { dataset: 'accounts', mode: 'upsert' });
    await p.put(
      'in/accounts/a.csv',
      'account_id,name,plan,mrr\na1,First,pro,1\na2,Beta,free,0\na1,Last,pro,2\n',
    );
    const plan = await p.run('apply', 'accounts', DAY1);
    expect(effectCounts(plan)).toEqual({
      created: 2,
      updated: 0,
      unchanged: 0,
      skipped: 0,
      unmatched: 0,
      deleted: 0,
      rows: 2,
    });
    expect(plan.dataset?.superseded).toBe(1);
    expect(plan.warnings.map((w) => w.code)).toEqual(['DATASET_DUPLICATE_KEY']);
    expect(await p.readDataset('accounts', { select: ACCOUNT_ROWS })).toEqual([
      { account_id: 'a1', name: 'Last', plan: 'pro', mrr: '2.00', v: 1 },
      { account_id: 'a2', name: 'Beta', plan: 'free', mrr: '0.00', v: 1 },
    ]);
  });
});

describe('update (only update existing)', () => {
  it('updates matched keys, counts and reports unmatched ones and writes them to the rejects object', async () => {
    const p = await fx.createProject({ datasets: ACCOUNTS });
    await p.writeImport('accounts', { dataset: 'accounts', mode: 'upsert' });
    await p.writeImport('updates', {
      dataset: 'accounts',
      mode: 'update',
      rejectsDirectory: 'rejects/updates/',
    });
    await p.put('in/accounts/a.csv', 'account_id,name,plan,mrr\na1,Acme,pro,100\na2,Beta,free,0\n');
    await p.run('apply', 'accounts', DAY1);
    await p.put('in/updates/u.csv', 'account_id,plan\na1,enterprise\na9,"pro, ""gold"""\na2,free\na8,free\n');

    const planned = await p.run('plan', 'updates', DAY2);
    expect(effectCounts(planned)).toEqual({
      created: 0,
      updated: 1,
      unchanged: 1,
      skipped: 0,
      unmatched: 2,
      deleted: 0,
      rows: 2,
    });
    expect(planned.outputs.map((o) => [o.bucket, o.key, o.rows])).toEqual([
      [p.rejectsBucket, 'rejects/updates/updates-rejects-20240502060000.csv', 2],
    ]);
    expect(await p.list(p.rejectsBucket)).toEqual([]);

    const applied = await p.run('apply', 'updates', DAY2);
    expect(applied.error).toBeUndefined();
    expect(effectCounts(applied)).toEqual({
      created: 0,
      updated: 1,
      unchanged: 1,
      skipped: 0,
      unmatched: 2,
      deleted: 0,
      rows: 2,
    });
    expect(applied.warnings).toEqual([
      {
        code: 'DATASET_UNMATCHED',
        message: '2 rows did not match an existing accounts key and were not written (mode: update): a9, a8.',
      },
    ]);
    expect(await p.list(p.rejectsBucket)).toEqual(['rejects/updates/updates-rejects-20240502060000.csv']);
    expect(
      (await p.get('rejects/updates/updates-rejects-20240502060000.csv', p.rejectsBucket)).toString(),
    ).toBe(
      '_ferry_row,account_id,plan,_ferry_reason\n' +
        '2,a9,"pro, ""gold""",key not in dataset (mode: update)\n' +
        '4,a8,free,key not in dataset (mode: update)\n',
    );
    expect(await p.readDataset('accounts', { select: ACCOUNT_ROWS })).toEqual([
      { account_id: 'a1', name: 'Acme', plan: 'enterprise', mrr: '100.00', v: 2 },
      { account_id: 'a2', name: 'Beta', plan: 'free', mrr: '0.00', v: 1 },
    ]);
  });

  it('into a dataset that was never written: every row is unmatched and no version is made', async () => {
    const p = await fx.createProject({ datasets: ACCOUNTS });
    await p.writeImport('updates', { dataset: 'accounts', mode: 'update' });
    await p.put('in/updates/u.csv', 'account_id,plan\na1,pro\n');
    const plan = await p.run('apply', 'updates', DAY1);
    expect(effectCounts(plan)).toEqual({
      created: 0,
      updated: 0,
      unchanged: 0,
      skipped: 0,
      unmatched: 1,
      deleted: 0,
      rows: 0,
    });
    expect((await p.manifest('accounts')).current).toBeNull();
  });
});

describe('insert (only create)', () => {
  it('creates new keys and skips existing ones without touching them', async () => {
    const p = await fx.createProject({ datasets: ACCOUNTS });
    await p.writeImport('accounts', { dataset: 'accounts', mode: 'insert', rejectsDirectory: 'rejects/' });
    await p.put('in/accounts/a.csv', 'account_id,name,plan,mrr\na1,Acme,pro,100\n');
    await p.run('apply', 'accounts', DAY1);
    await p.put('in/accounts/b.csv', 'account_id,name,plan,mrr\na1,Other,free,1\na5,Echo,free,5\n');
    const plan = await p.run('apply', 'accounts', DAY2);
    expect(effectCounts(plan)).toEqual({
      created: 1,
      updated: 0,
      unchanged: 0,
      skipped: 1,
      unmatched: 0,
      deleted: 0,
      rows: 2,
    });
    expect(plan.warnings.map((w) => w.code)).toEqual(['DATASET_SKIPPED']);
    expect(plan.dataset?.keys).toEqual({ skipped: ['a1'] });
    expect(plan.warnings[0]?.message).toMatch(/\(mode: insert\): a1\.$/);
    expect(await p.readDataset('accounts', { select: ACCOUNT_ROWS })).toEqual([
      { account_id: 'a1', name: 'Acme', plan: 'pro', mrr: '100.00', v: 1 },
      { account_id: 'a5', name: 'Echo', plan: 'free', mrr: '5.00', v: 2 },
    ]);
    expect((await p.get('rejects/accounts-rejects-20240502060000.csv', p.rejectsBucket)).toString()).toBe(
      '_ferry_row,account_id,name,plan,mrr,_ferry_reason\n1,a1,Other,free,1.00,key already in dataset (mode: insert)\n',
    );
  });
  it('the first row of a key wins within one run, as a key already in the dataset does', async () => {
    const p = await fx.createProject({ datasets: ACCOUNTS });
    await p.writeImport('accounts', { dataset: 'accounts', mode: 'insert' });
    await p.put(
      'in/accounts/a.csv',
      'account_id,name,plan,mrr\na1,First,pro,1\na2,Beta,free,0\na1,Repeat,pro,2\n',
    );
    const plan = await p.run('apply', 'accounts', DAY1);
    expect(effectCounts(plan)).toMatchObject({ created: 2, skipped: 0, rows: 2 });
    expect(plan.dataset?.superseded).toBe(1);
    expect(plan.warnings.map((w) => w.code)).toEqual(['DATASET_DUPLICATE_KEY']);
    expect(plan.warnings[0]?.message).toMatch(/earlier row of this run and was skipped/);
    expect(await p.readDataset('accounts', { select: ACCOUNT_ROWS })).toEqual([
      { account_id: 'a1', name: 'First', plan: 'pro', mrr: '1.00', v: 1 },
      { account_id: 'a2', name: 'Beta', plan: 'free', mrr: '0.00', v: 1 },
    ]);
  });
});

describe('append (events)', () => {
  it('adds events with their ingestion time; re-sent events are not duplicated', async () => {
    const p = await fx.createProject({ datasets: { tracks: { kind: 'events', key: ['message_id'] } } });
    await p.writeImport('tracks', {
      dataset: 'tracks',
      mode: 'append',
      format: { kind: 'json', layout: 'ndjson' },
    });
    const event = (id: string, type: string) => JSON.stringify({ message_id: id, user_id: 'u1', type });
    await p.put('in/tracks/1.json', [event('m1', 'login'), event('m2', 'view')].join('\n') + '\n');
    const first = await p.run('apply', 'tracks', DAY1);
    expect(effectCounts(first)).toEqual({
      created: 2,
      updated: 0,
      unchanged: 0,
      skipped: 0,
      unmatched: 0,
      deleted: 0,
      rows: 2,
    });
    // m2 is sent again (with other content: an event is never updated), m3 twice in one file.
    await p.put(
      'in/tracks/2.json',
      [event('m2', 'changed'), event('m3', 'logout'), event('m3', 'logout')].join('\n') + '\n',
    );
    const second = await p.run('apply', 'tracks', DAY2);
    expect(effectCounts(second)).toEqual({
      created: 1,
      updated: 0,
      unchanged: 0,
      skipped: 1,
      unmatched: 0,
      deleted: 0,
      rows: 3,
    });
    expect(second.dataset?.superseded).toBe(1);
    expect(second.warnings.map((w) => w.code)).toEqual(['DATASET_DUPLICATE_KEY']);
    expect(
      await p.readDataset('tracks', {
        select:
          'message_id, user_id, type, _ferry_created_at AS ingested, CAST(_ferry_version AS INTEGER) AS v',
      }),
    ).toEqual([
      { message_id: 'm1', user_id: 'u1', type: 'login', ingested: DAY1, v: 1 },
      { message_id: 'm2', user_id: 'u1', type: 'view', ingested: DAY1, v: 1 },
      { message_id: 'm3', user_id: 'u1', type: 'logout', ingested: DAY2, v: 2 },
    ]);
  });
  it('an event sent twice keeps its first copy, in one run as across runs', async () => {
    const p = await fx.createProject({ datasets: { tracks: { kind: 'events', key: ['message_id'] } } });
    await p.writeImport('tracks', {
      dataset: 'tracks',
      mode: 'append',
      format: { kind: 'json', layout: 'ndjson' },
    });
    const event = (id: string, type: string) => JSON.stringify({ message_id: id, user_id: 'u1', type });
    await p.put('in/tracks/1.json', [event('e1', 'first'), event('e1', 'resent')].join('\n') + '\n');
    await p.put('in/tracks/2.json', event('e2', 'first') + '\n');
    const first = await p.run('apply', 'tracks', DAY1);
    expect(first.dataset?.superseded).toBe(1);
    await p.put('in/tracks/3.json', event('e2', 'resent') + '\n');
    const second = await p.run('apply', 'tracks', DAY2);
    expect(effectCounts(second)).toMatchObject({ created: 0, skipped: 1, rows: 2 });
    expect(await p.readDataset('tracks', { select: 'message_id, type' })).toEqual([
      { message_id: 'e1', type: 'first' },
      { message_id: 'e2', type: 'first' },
    ]);
  });
});

describe('mirror', () => {
  const ORGS = {
    organizations: {
      kind: 'entity',
      key: ['organization_id'],
      columns: { organization_id: 'VARCHAR', name: 'VARCHAR', employees: 'INTEGER' },
    },
  };

  it('deletes exactly the keys absent from the run, and the plan calls it out as destructive', async () => {
    const p = await fx.createProject({ datasets: ORGS });
    await p.writeImport('orgs', { dataset: 'organizations', mode: 'mirror' });
    await p.put(
      'in/orgs/1.csv',
      'organization_id,name,employees\no1,One,10\no2,Two,20\no3,Three,30\no4,Four,40\n',
    );
    await p.run('apply', 'orgs', DAY1);
    await p.put('in/orgs/2.csv', 'organization_id,name,employees\no1,One,11\no3,Three,30\no5,Five,50\n');

    const state = await p.hashState();
    const markdown = await p.cli(['plan', '--format', 'markdown']);
    expect(markdown.code).toBe(0);
    expect(markdown.stdout).toContain('Plan: 0 objects to write; rows: 1 to add, 1 to change, 2 to delete.');
    expect(markdown.stdout).toContain(
      '> - `orgs`: deletes 2 rows from dataset `organizations` (mode: mirror)',
    );
    // Which ones, by key.
    expect(markdown.stdout).toContain(
      'Deletes 2 rows from organizations whose key is not in this run (mode: mirror): o2, o4.',
    );
    expect(await p.hashState()).toEqual(state);

    const plan = await p.run('apply', 'orgs', DAY2);
    expect(effectCounts(plan)).toEqual({
      created: 1,
      updated: 1,
      unchanged: 1,
      skipped: 0,
      unmatched: 0,
      deleted: 2,
      rows: 3,
    });
    expect(await p.readDataset('organizations', { select: 'organization_id, name, employees' })).toEqual([
      { organization_id: 'o1', name: 'One', employees: 11 },
      { organization_id: 'o3', name: 'Three', employees: 30 },
      { organization_id: 'o5', name: 'Five', employees: 50 },
    ]);
  });

  it('holds deletes back when a source row was rejected (its key is not absent)', async () => {
    const p = await fx.createProject({ datasets: ORGS });
    await p.writeImport('orgs', { dataset: 'organizations', mode: 'mirror' });
    await p.put('in/orgs/1.csv', 'organization_id,name,employees\no1,One,10\no2,Two,20\n');
    await p.run('apply', 'orgs', DAY1);
    await p.put('in/orgs/2.csv', 'organization_id,name,employees\no1,One,12\no2,Two,many\n');
    const plan = await p.run('apply', 'orgs', DAY2);
    expect(effectCounts(plan)).toEqual({
      created: 0,
      updated: 1,
      unchanged: 0,
      skipped: 0,
      unmatched: 0,
      deleted: 0,
      rows: 2,
    });
    expect(plan.counts.rowsRejected).toBe(1);
    expect(plan.warnings.map((w) => w.code)).toEqual(['DATASET_DELETES_HELD']);
    expect(await p.readDataset('organizations', { select: 'organization_id, name, employees' })).toEqual([
      { organization_id: 'o1', name: 'One', employees: 12 },
      { organization_id: 'o2', name: 'Two', employees: 20 },
    ]);
  });
});
