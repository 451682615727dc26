/**
 * What a dataset sink checks: relations to other datasets (a user's account id → accounts), counted
 * or fatal; declared column types, where a value that does not cast is a rejected row with its
 * reason (rows in = merged + rejected); rows without a key are rejected too.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { at, effectCounts, startDatasetFixture, type DatasetFixture } from './dataset-fixture.js';

let fx: DatasetFixture;
beforeAll(async () => {
  fx = await startDatasetFixture();
});
afterAll(async () => {
  await fx?.stop();
});

const DATASETS = {
  accounts: { kind: 'entity', key: ['account_id'], columns: { account_id: 'VARCHAR', name: 'VARCHAR' } },
  users: {
    kind: 'entity',
    key: ['user_id'],
    columns: { user_id: 'VARCHAR', account_id: 'VARCHAR', email: 'VARCHAR' },
  },
};
const USERS =
  'user_id,account_id,email\nu1,a1,ada@x.io\nu2,a9,bob@x.io\nu3,,cy@x.io\nu4,a8,di@x.io\nu5,a2,ed@x.io\n';

/** Relative path → hash of state files, without the failed-run log (runs/ is a log, not state). */
async function stateWithoutRunLog(hash: Promise<Record<string, string>>): Promise<Record<string, string>> {
  return Object.fromEntries(Object.entries(await hash).filter(([path]) => !/\/runs\//.test(path)));
}

describe('relations', () => {
  it('counts rows whose account does not exist and still writes them (on_missing: count)', async () => {
    const p = await fx.createProject({ datasets: DATASETS });
    await p.writeImport('accounts', { dataset: 'accounts', mode: 'upsert' });
    await p.writeImport('users', {
      dataset: 'users',
      mode: 'upsert',
      mapping: { relations: { account_id: { dataset: 'accounts' } } },
    });
    await p.put('in/accounts/a.csv', 'account_id,name\na1,Acme\na2,Beta\n');
    await p.run('apply', 'accounts', at('2024-05-01T00:00:00Z'));
    await p.put('in/users/u.csv', USERS);
    const plan = await p.run('apply', 'users', at('2024-05-01T01:00:00Z'));
    expect(plan.error).toBeUndefined();
    expect(effectCounts(plan)).toEqual({
      created: 5,
      updated: 0,
      unchanged: 0,
      skipped: 0,
      unmatched: 0,
      deleted: 0,
      rows: 5,
    });
    expect(plan.dataset?.missingRelations).toEqual([
      { column: 'account_id', dataset: 'accounts', rows: 2, keys: ['a8', 'a9'] },
    ]);
    // The warning names the missing accounts, as DATASET_UNMATCHED names its keys.
    expect(plan.warnings[0]?.message).toContain(': a8, a9.');
    expect(plan.warnings.map((w) => w.code)).toEqual(['RELATION_MISSING']);
    expect((await p.readDataset('users', { select: 'user_id' })).map((r) => r['user_id'])).toEqual([
      'u1',
      'u2',
      'u3',
      'u4',
      'u5',
    ]);
    // Once the accounts exist, the same users are all related.
    await p.put('in/accounts/b.csv', 'account_id,name\na8,Eight\na9,Nine\n');
    await p.run('apply', 'accounts', at('2024-05-02T00:00:00Z'));
    await p.put('in/users/v.csv', USERS);
    const again = await p.run('apply', 'users', at('2024-05-02T01:00:00Z'));
    expect(again.dataset?.missingRelations).toEqual([]);
    expect(again.warnings).toEqual([]);
  });

  it('on_missing: fail fails the run and leaves state byte-identical', async () => {
    const p = await fx.createProject({ datasets: DATASETS });
    await p.writeImport('accounts', { dataset: 'accounts', mode: 'upsert' });
    await p.writeImport('users', {
      dataset: 'users',
      mode: 'upsert',
      mapping: { relations: { account_id: { dataset: 'accounts', on_missing: 'fail' } } },
    });
    await p.put('in/accounts/a.csv', 'account_id,name\na1,Acme\na2,Beta\n');
    await p.run('apply', 'accounts', at('2024-05-01T00:00:00Z'));
    await p.put('in/users/u.csv', 'user_id,account_id,email\nu1,a1,ada@x.io\n');
    await p.run('apply', 'users', at('2024-05-01T01:00:00Z'));
    const before = await p.hashState();

    await p.put('in/users/v.csv', USERS);
    const plan = await p.run('apply', 'users', at('2024-05-02T01:00:00Z'));
    expect(plan.status).toBe('error');
    expect(plan.error?.code).toBe('RELATION_MISSING');
    const after = await p.hashState();
    expect(await stateWithoutRunLog(Promise.resolve(after))).toEqual(
      await stateWithoutRunLog(Promise.resolve(before)),
    );
    // The failure itself is logged beside the state.
    expect(Object.keys(after).filter((path) => !(path in before))).toEqual([
      expect.stringMatching(/^pipelines\/users\/runs\/20240502T010000Z-[0-9a-f]{8}\.json$/),
    ]);
    expect((await p.manifest('users')).current).toBe(1);
  });
});

describe('declared column types', () => {
  it('rejects a value that does not cast, with its reason; rows in = merged + rejected', async () => {
    const p = await fx.createProject({
      datasets: {
        accounts: {
          kind: 'entity',
          key: ['account_id'],
          columns: {
            account_id: 'VARCHAR',
            mrr: 'DECIMAL(12,2)',
            signed_up: 'DATE',
            active: 'BOOLEAN',
            tags: 'VARCHAR[]',
            traits: 'MAP(VARCHAR, VARCHAR)',
          },
        },
      },
    });
    await p.writeImport('accounts', {
      dataset: 'accounts',
      mode: 'upsert',
      format: { kind: 'json', layout: 'ndjson' },
      rejectsDirectory: 'rejects/',
    });
    const row = (values: Record<string, unknown>) =>
      JSON.stringify({
        account_id: 'a1',
        mrr: '10.5',
        signed_up: '2024-01-31',
        active: 'true',
        tags: ['x', 'y'],
        traits: { plan: 'pro' },
        ...values,
      });
    await p.put(
      'in/accounts/a.ndjson',
      [
        row({}),
        row({ account_id: 'a2', mrr: 'ten' }),
        row({ account_id: 'a3', signed_up: '2024-02-30' }),
        row({ account_id: 'a4', active: 'maybe' }),
        row({ account_id: 'a5', tags: 'not a list' }),
        row({ account_id: 'a6', traits: ['not', 'a', 'map'] }),
        row({ account_id: null }),
        row({ account_id: 'a8', mrr: null, signed_up: null, tags: null, traits: {} }),
      ].join('\n') + '\n',
    );
    const plan = await p.run('apply', 'accounts', at('2024-05-01T00:00:00Z'));
    expect(plan.error).toBeUndefined();
    expect(plan.counts.rowsRead).toBe(8);
    expect(plan.counts.rowsRejected).toBe(6);
    expect(effectCounts(plan)).toEqual({
      created: 2,
      updated: 0,
      unchanged: 0,
      skipped: 0,
      unmatched: 0,
      deleted: 0,
      rows: 2,
    });
    expect(plan.rejects).toEqual([
      {
        file: 'dataset:accounts',
        line: null,
        row: 2,
        reason: 'column "mrr" does not cast to DECIMAL(12,2) (dataset accounts)',
      },
      {
        file: 'dataset:accounts',
        line: null,
        row: 3,
        reason: 'column "signed_up" does not cast to DATE (dataset accounts)',
      },
      {
        file: 'dataset:accounts',
        line: null,
        row: 4,
        reason: 'column "active" does not cast to BOOLEAN (dataset accounts)',
      },
      {
        file: 'dataset:accounts',
        line: null,
        row: 5,
        reason: 'column "tags" does not cast to VARCHAR[] (dataset accounts)',
      },
      {
        file: 'dataset:accounts',
        line: null,
        row: 6,
        reason: 'column "traits" does not cast to MAP(VARCHAR, VARCHAR) (dataset accounts)',
      },
      {
        file: 'dataset:accounts',
        line: null,
        row: 7,
        reason: 'key column "account_id" is empty (dataset accounts)',
      },
    ]);
    // All six are kept whole in the run's rejected-rows file, each with the row as mapped.
    const kept = parse<Record<string, string>>(
      await readFile(join(p.dir, plan.rejectedRowsFile ?? ''), 'utf8'),
      { columns: true },
    );
    expect(kept.map((r) => [r['file'], r['row'], r['step']])).toEqual(
      [2, 3, 4, 5, 6, 7].map((row) => ['dataset:accounts', String(row), 'dataset']),
    );
    expect(JSON.parse(kept[0]?.['record'] ?? '')).toMatchObject({ account_id: 'a2', mrr: 'ten' });
    expect(
      await p.readDataset('accounts', {
        select:
          'account_id, CAST(mrr AS VARCHAR) AS mrr, CAST(signed_up AS VARCHAR) AS signed_up, active, tags, map_entries(traits) AS traits',
      }),
    ).toEqual([
      {
        account_id: 'a1',
        mrr: '10.50',
        signed_up: '2024-01-31',
        active: true,
        tags: ['x', 'y'],
        traits: [{ key: 'plan', value: 'pro' }],
      },
      { account_id: 'a8', mrr: null, signed_up: null, active: true, tags: null, traits: [] },
    ]);
    // The rejected rows as they came in, with the reason.
    expect((await p.get('rejects/accounts-rejects-20240501000000.csv', p.rejectsBucket)).toString()).toBe(
      [
        '_ferry_row,account_id,mrr,signed_up,active,tags,traits,_ferry_reason',
        '2,a2,ten,2024-01-31,true,"[""x"",""y""]","{""plan"":""pro""}","column ""mrr"" does not cast to DECIMAL(12,2) (dataset accounts)"',
        '3,a3,10.5,2024-02-30,true,"[""x"",""y""]","{""plan"":""pro""}","column ""signed_up"" does not cast to DATE (dataset accounts)"',
        '4,a4,10.5,2024-01-31,maybe,"[""x"",""y""]","{""plan"":""pro""}","column ""active"" does not cast to BOOLEAN (dataset accounts)"',
        '5,a5,10.5,2024-01-31,true,not a list,"{""plan"":""pro""}","column ""tags"" does not cast to VARCHAR[] (dataset accounts)"',
        '6,a6,10.5,2024-01-31,true,"[""x"",""y""]","[""not"",""a"",""map""]","column ""traits"" does not cast to MAP(VARCHAR, VARCHAR) (dataset accounts)"',
        '7,,10.5,2024-01-31,true,"[""x"",""y""]","{""plan"":""pro""}","key column ""account_id"" is empty (dataset accounts)"',
        '',
      ].join('\n'),
    );
  });
});
