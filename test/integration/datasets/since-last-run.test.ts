/**
 * Incremental exports (the Lytics "only the events since the last run"): each successful run exports
 * exactly the rows added or changed since the previous successful one; a failed run does not move
 * the watermark, so the next run exports what the failed one should have; a rollback past the last
 * exported version makes the next run a full export.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { at, startDatasetFixture, type DatasetFixture } from './dataset-fixture.js';

let fx: DatasetFixture;
beforeAll(async () => {
  fx = await startDatasetFixture();
});
afterAll(async () => {
  await fx?.stop();
});

const event = (id: string, type: string) => JSON.stringify({ message_id: id, user_id: 'u1', type });

describe('since_last_run', () => {
  it('exports only the events added since the previous successful run; a failed run does not advance', async () => {
    const p = await fx.createProject({ datasets: { tracks: { kind: 'events', key: ['message_id'] } } });
    await p.writeImport('tracks', {
      dataset: 'tracks',
      mode: 'append',
      format: { kind: 'json', layout: 'ndjson' },
    });
    const exportSpec = (bucket?: string) => ({
      source: { dataset: 'tracks', since_last_run: true },
      sink: { format: 'csv', filename: 'tracks-{{timestamp}}', ...(bucket ? { bucket } : {}) },
    });
    await p.writeExport('tracks-export', exportSpec());
    const exported = async (now: string): Promise<string> => {
      const plan = await p.run('apply', 'tracks-export', at(now));
      expect(plan.error).toBeUndefined();
      const [output] = plan.outputs;
      return output ? (await p.get(output.key)).toString() : '';
    };

    await p.put('in/tracks/1.json', `${event('m1', 'login')}\n${event('m2', 'view')}\n`);
    await p.run('apply', 'tracks', at('2024-05-01T00:00:00Z'));
    expect(await exported('2024-05-01T01:00:00Z')).toBe('message_id,type,user_id\nm1,login,u1\nm2,view,u1\n');
    expect((await p.readState('tracks-export'))?.['exportWatermarks']).toEqual({ tracks: 1 });

    // m2 re-sent (skipped, not new), m3 new.
    await p.put('in/tracks/2.json', `${event('m2', 'view')}\n${event('m3', 'logout')}\n`);
    await p.run('apply', 'tracks', at('2024-05-02T00:00:00Z'));
    expect(await exported('2024-05-02T01:00:00Z')).toBe('message_id,type,user_id\nm3,logout,u1\n');

    await p.put('in/tracks/3.json', `${event('m4', 'login')}\n${event('m5', 'buy')}\n`);
    await p.run('apply', 'tracks', at('2024-05-03T00:00:00Z'));
    // The sink bucket is missing: the run stops before any work and nothing is committed.
    await p.writeExport('tracks-export', exportSpec('no-such-bucket-ferry'));
    const stateBefore = await p.readState('tracks-export');
    const failed = await p.run('apply', 'tracks-export', at('2024-05-03T01:00:00Z'));
    expect(failed.status).toBe('error');
    expect(failed.error?.code).toBe('SINK_BUCKET_MISSING');
    expect(await p.readState('tracks-export')).toEqual(stateBefore);
    expect((await p.readState('tracks-export'))?.['exportWatermarks']).toEqual({ tracks: 2 });

    await p.writeExport('tracks-export', exportSpec());
    expect(await exported('2024-05-03T02:00:00Z')).toBe('message_id,type,user_id\nm4,login,u1\nm5,buy,u1\n');
    expect((await p.readState('tracks-export'))?.['exportWatermarks']).toEqual({ tracks: 3 });
    // Nothing new: no file.
    expect(await exported('2024-05-03T03:00:00Z')).toBe('');
    expect(await p.list()).toEqual([
      'out/tracks-export/tracks-20240501010000.csv',
      'out/tracks-export/tracks-20240502010000.csv',
      'out/tracks-export/tracks-20240503020000.csv',
    ]);
  });

  it('exports changed entities, and everything after a rollback past the exported version', async () => {
    const p = await fx.createProject({
      datasets: {
        accounts: {
          kind: 'entity',
          key: ['account_id'],
          columns: { account_id: 'VARCHAR', plan: 'VARCHAR' },
        },
      },
    });
    await p.writeImport('accounts', { dataset: 'accounts', mode: 'upsert' });
    await p.writeExport('changes', {
      source: { dataset: 'accounts', since_last_run: true },
      sink: { format: 'csv', filename: 'changes-{{timestamp}}' },
    });
    const exported = async (now: string) => {
      const plan = await p.run('apply', 'changes', at(now));
      const [output] = plan.outputs;
      return {
        warnings: plan.warnings.map((w) => w.code),
        csv: output ? (await p.get(output.key)).toString() : '',
      };
    };
    await p.put('in/accounts/1.csv', 'account_id,plan\na1,free\na2,free\n');
    await p.run('apply', 'accounts', at('2024-05-01T00:00:00Z'));
    expect(await exported('2024-05-01T01:00:00Z')).toEqual({
      warnings: [],
      csv: 'account_id,plan\na1,free\na2,free\n',
    });
    await p.put('in/accounts/2.csv', 'account_id,plan\na1,pro\na2,free\n');
    await p.run('apply', 'accounts', at('2024-05-02T00:00:00Z'));
    expect(await exported('2024-05-02T01:00:00Z')).toEqual({
      warnings: [],
      csv: 'account_id,plan\na1,pro\n',
    });

    // Back to version 1: the consumer has a1 as "pro", the dataset says "free" again.
    expect(await p.cli(['state', 'rollback', 'accounts'])).toMatchObject({ code: 0 });
    expect(await exported('2024-05-03T01:00:00Z')).toEqual({
      warnings: ['EXPORT_FULL_AFTER_ROLLBACK'],
      csv: 'account_id,plan\na1,free\na2,free\n',
    });
    // Version 3, built on version 1: incremental again.
    await p.put('in/accounts/3.csv', 'account_id,plan\na3,pro\n');
    await p.run('apply', 'accounts', at('2024-05-04T00:00:00Z'));
    expect(await exported('2024-05-04T01:00:00Z')).toEqual({
      warnings: [],
      csv: 'account_id,plan\na3,pro\n',
    });
  });

  it('with a limit, warns that the rows past it are not exported later', async () => {
    const p = await fx.createProject({ datasets: { tracks: { kind: 'events', key: ['message_id'] } } });
    await p.writeImport('tracks', {
      dataset: 'tracks',
      mode: 'append',
      format: { kind: 'json', layout: 'ndjson' },
    });
    await p.writeExport('tracks-export', {
      source: { dataset: 'tracks', since_last_run: true, limit: 2 },
      sink: { format: 'ndjson' },
    });
    await p.put('in/tracks/1.json', [event('m1', 'a'), event('m2', 'b'), event('m3', 'c')].join('\n'));
    await p.run('apply', 'tracks', at('2024-05-01T00:00:00Z'));
    const plan = await p.run('apply', 'tracks-export', at('2024-05-01T01:00:00Z'));
    expect(plan.counts.rowsRead).toBe(2);
    expect(plan.warnings.map((w) => w.code)).toEqual(['EXPORT_LIMIT_SKIPS_ROWS']);
  });
});
