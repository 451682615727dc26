/**
 * Mapping end to end: fields, exclude, rename, casts whose failures are rejected with a reason,
 * computed columns, event timestamps (strptime, token and ISO forms, with time zones), the rest
 * packed into a map that CSV writes as `k=v&k2=v2` (percent-encoded), and required columns.
 *
 * The worker pretends to run in New York: outputs must not depend on the host's time zone.
 */
process.env['TZ'] = 'America/New_York';

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyCounts } from '../../../engine/state/pipeline-state.js';
import { at, startEngineFixture, type EngineFixture } from './engine-fixture.js';

let fx: EngineFixture;
beforeAll(async () => {
  fx = await startEngineFixture();
});
afterAll(async () => {
  await fx?.stop();
});

const NOW = at('2024-05-01T06:00:00Z');

describe('fields, rename, cast, compute, timestamp, required', () => {
  it('maps good rows and rejects each bad one with its row and reason', async () => {
    const project = await fx.createProject();
    await project.writePipeline('p', {
      name: 'p',
      // Mapping rejects count against the file's max_rejects budget like reader rejects do.
      source: { format: { kind: 'csv', max_rejects: 3 } },
      mapping: {
        fields: ['id', 'First Name', 'email', 'mrr', 'signup'],
        rename: { 'First Name': 'name' },
        cast: { id: 'INTEGER', mrr: 'DECIMAL(10,2)' },
        compute: { email_domain: "lower(split_part(email, '@', 2))" },
        timestamp: { column: 'signup', format: '%Y-%m-%d %H:%M:%S', timezone: 'Europe/Berlin' },
        required: ['name'],
      },
      sink: { filename: 'people', format: 'csv' },
    });
    await project.put(
      'people.csv',
      [
        'id,First Name,email,mrr,signup,internal',
        '1,Ada,Ada@X.io,10.5,2024-05-01 09:30:00,secret',
        '2,Bob,bob@y.io,abc,2024-05-02 10:00:00,secret',
        '3,,cy@z.io,7,2024-05-03 11:00:00,secret',
        '4,Di,di@w.io,8,not a date,secret',
        '5,Ed,ed@v.io,,2024-12-05 12:00:00,secret',
        '',
      ].join('\n'),
    );
    const plan = await project.run('apply', { now: NOW });
    expect(plan.error).toBeUndefined();
    expect(plan.counts).toEqual({
      ...emptyCounts(),
      filesMatched: 1,
      filesNew: 1,
      rowsRead: 5,
      rowsRejected: 3,
      rowsWritten: 2,
      objectsWritten: 1,
    });
    expect(plan.rejects).toEqual([
      { file: 'people.csv', line: 3, row: 2, reason: 'column "mrr" does not cast to DECIMAL(10,2)' },
      { file: 'people.csv', line: 4, row: 3, reason: 'required column "name" is empty' },
      {
        file: 'people.csv',
        line: 5,
        row: 4,
        reason: 'timestamp column "signup" does not read as %Y-%m-%d %H:%M:%S',
      },
    ]);
    // Berlin is UTC+2 in May and UTC+1 in December; times are written in UTC.
    expect((await project.get('people.csv')).toString()).toBe(
      'id,name,email,mrr,signup,email_domain\n' +
        '1,Ada,Ada@X.io,10.50,2024-05-01 07:30:00+00,x.io\n' +
        '5,Ed,ed@v.io,,2024-12-05 11:00:00+00,v.io\n',
    );
  });

  it('reads token-format and ISO timestamps; an offset in the value wins over the zone', async () => {
    const project = await fx.createProject();
    await project.writePipeline('tok', {
      name: 'tok',
      source: { prefix: 'tok/', format: { kind: 'csv', max_rejects: 1 } },
      mapping: { timestamp: { column: 'ts', format: 'DD.MM.YYYY HH:mm', timezone: 'America/New_York' } },
      sink: { directory: 'tok/', filename: 'out', format: 'csv' },
    });
    await project.writePipeline('iso', {
      name: 'iso',
      source: { prefix: 'iso/', format: { kind: 'csv' } },
      mapping: { timestamp: { column: 'ts', timezone: 'Asia/Tokyo' } },
      sink: { directory: 'iso/', filename: 'out', format: 'csv' },
    });
    await project.writePipeline('epoch', {
      name: 'epoch',
      source: { prefix: 'epoch/', format: { kind: 'csv', max_rejects: '50%' } },
      mapping: { timestamp: { column: 'ts', format: 'X' } },
      sink: { directory: 'epoch/', filename: 'out', format: 'csv' },
    });
    await project.put('tok/a.csv', 'id,ts\n1,01.05.2024 23:15\n2,1.5.2024 7:05\n3,2024-05-01 23:15\n');
    await project.put(
      'iso/a.csv',
      'id,ts\n1,2024-05-01T12:00:00Z\n2,2024-05-01T12:00:00+02:00\n3,2024-05-01 12:00:00\n',
    );
    await project.put('epoch/a.csv', 'id,ts\n1,1714521600\n2,yesterday\n');
    const plan = await project.runAll('apply', { now: NOW });
    const byName = Object.fromEntries(plan.pipelines.map((p) => [p.pipeline, p]));
    expect(byName['tok']?.error).toBeUndefined();
    expect(byName['iso']?.error).toBeUndefined();
    expect(byName['epoch']?.error).toBeUndefined();
    // 01.05.2024 23:15 in New York (UTC-4) is 02 May 03:15 UTC. DuckDB's strptime accepts unpadded
    // numbers ("1.5.2024 7:05"); a value in another order is rejected.
    expect(byName['tok']?.rejects.map((r) => [r.row, r.reason])).toEqual([
      [3, 'timestamp column "ts" does not read as DD.MM.YYYY HH:mm'],
    ]);
    expect((await project.get('tok/out.csv')).toString()).toBe(
      'id,ts\n1,2024-05-02 03:15:00+00\n2,2024-05-01 11:05:00+00\n',
    );
    // Z and +02:00 are honoured; a value without an offset is in the mapping's zone (Tokyo, UTC+9).
    expect((await project.get('iso/out.csv')).toString()).toBe(
      'id,ts\n1,2024-05-01 12:00:00+00\n2,2024-05-01 10:00:00+00\n3,2024-05-01 03:00:00+00\n',
    );
    expect(byName['epoch']?.rejects.map((r) => [r.row, r.reason])).toEqual([
      [2, 'timestamp column "ts" does not read as X'],
    ]);
    expect((await project.get('epoch/out.csv')).toString()).toBe('id,ts\n1,2024-05-01 00:00:00+00\n');
  });
});

describe('exclude and rest', () => {
  it('packs unmapped columns into a map written as k=v&k2=v2 with &, = and % encoded', async () => {
    const project = await fx.createProject();
    await project.writePipeline('p', {
      name: 'p',
      source: { format: { kind: 'csv', max_rejects: 1 } },
      mapping: {
        exclude: ['internal'],
        rename: { Name: 'name' },
        rest: { into: 'traits' },
        key: ['id'],
        required: ['id'],
      },
      sink: { filename: 'accounts', format: { kind: 'csv', list_separator: '&' } },
    });
    await project.put(
      'accounts.csv',
      'id,Name,internal,plan,note,k&y=z\n1,Ada,x,pro,a&b=c%d,1\n2,Bob,y,,plain,\n,Nobody,z,free,,\n',
    );
    const plan = await project.run('apply', { now: NOW });
    expect(plan.error).toBeUndefined();
    expect(plan.counts).toMatchObject({ rowsRead: 3, rowsRejected: 1, rowsWritten: 2 });
    expect(plan.rejects.map((r) => [r.row, r.reason])).toEqual([[3, 'required column "id" is empty']]);
    // Empty values are left out of the map; keys are encoded like values.
    expect((await project.get('accounts.csv')).toString()).toBe(
      'id,name,traits\n1,Ada,plan=pro&note=a%26b%3Dc%25d&k%26y%3Dz=1\n2,Bob,note=plain\n',
    );
  });
});

describe('the reject budget', () => {
  it('counts reader and mapping rejects together per file; over max_rejects the run fails, state intact', async () => {
    const project = await fx.createProject();
    await project.writePipeline('p', {
      name: 'p',
      source: { prefix: 'in/', format: { kind: 'csv', max_rejects: 1 } },
      mapping: { cast: { n: 'INTEGER' } },
      sink: { filename: '{{source_stem}}', format: 'csv' },
    });
    // One bad row per file is within budget, in either stage.
    await project.put('in/a.csv', 'id,n\n1,1\n2,x\n');
    await project.put('in/b.csv', 'id,n\n3,3\n4\n');
    const ok = await project.runAll('apply', { now: NOW });
    expect(ok.pipelines[0]?.error).toBeUndefined();
    expect(ok.pipelines[0]?.counts).toMatchObject({ rowsRead: 4, rowsRejected: 2, rowsWritten: 2 });
    expect((await project.get('multi.csv')).toString()).toBe('id,n\n1,1\n3,3\n');
    const before = await project.hashState();

    // A ragged row and a cast failure in the same file: 2 rejects, over the budget of 1.
    await project.put('in/c.csv', 'id,n\n5,5\n6\n7,y\n');
    const failed = await project.run('apply', { now: at('2024-05-02T06:00:00Z') });
    expect(failed.status).toBe('error');
    expect(failed.error?.code).toBe('CSV_REJECTS_OVER_LIMIT');
    expect(failed.error?.message).toContain(
      `s3://${project.sourceBucket}/in/c.csv: 2 of 3 rows were rejected`,
    );
    expect((await project.list()).map((o) => o.key)).toEqual(['multi.csv']);
    const after = await project.hashState();
    for (const [path, hash] of Object.entries(before)) expect(after[path], path).toBe(hash);
    // New: the failed run's record and its rejected rows (logs in runs/, not state).
    expect(
      Object.keys(after)
        .filter((k) => !(k in before))
        .sort(),
    ).toEqual([
      expect.stringMatching(/^pipelines\/p\/runs\/[^/]+\.json$/),
      expect.stringMatching(/^pipelines\/p\/runs\/[^/]+\.rejected\.csv$/),
    ]);
  });

  it('with the default budget (0) a single cast failure fails the run', async () => {
    const project = await fx.createProject();
    await project.writePipeline('p', {
      name: 'p',
      source: { format: { kind: 'csv' } },
      mapping: { cast: { n: 'INTEGER' } },
      sink: { filename: 'out', format: 'csv' },
    });
    await project.put('a.csv', 'id,n\n1,1\n2,x\n');
    const plan = await project.run('apply', { now: NOW });
    expect(plan.error?.code).toBe('CSV_REJECTS_OVER_LIMIT');
    expect(await project.list()).toEqual([]);
    expect(await project.readState('p')).toBeUndefined();
  });
});

describe('a mapping that does not fit the file', () => {
  it('fails at the setting: file:line:col of the misspelt column, with a suggestion', async () => {
    const project = await fx.createProject();
    const yaml = (
      await (async () => {
        await project.writePipeline('p', {
          name: 'p',
          source: { format: { kind: 'csv' } },
          mapping: { rename: { 'Acount ID': 'account_id' } },
          sink: { filename: 'out', format: 'csv' },
        });
        return readFile(join(project.dir, 'pipelines', 'p.yaml'), 'utf8');
      })()
    ).split('\n');
    const line = yaml.findIndex((l) => l.includes('Acount ID')) + 1;
    const col = (yaml[line - 1] ?? '').indexOf('Acount ID') + 1;
    await project.put('accounts.csv', 'Account ID,name\n1,Ada\n');
    const plan = await project.run('plan', { now: NOW });
    expect(plan.error).toMatchObject({
      code: 'MAPPING_UNKNOWN_COLUMN',
      location: `pipelines/p.yaml:${line}:${col}`,
    });
    expect(plan.error?.hint).toContain('Did you mean "Account ID"?');
    const text = await project.cli(['plan', '--pipeline', 'p']);
    expect(text.stdout).toContain(
      `error pipelines/p.yaml:${line}:${col}: mapping.rename names column "Acount ID"`,
    );
  });
});

describe('computed columns', () => {
  it('see the columns packed into rest (compute together with rest runs)', async () => {
    const project = await fx.createProject();
    await project.writePipeline('p', {
      name: 'p',
      source: { format: { kind: 'csv' } },
      mapping: { compute: { c: "a || '-' || b" }, rest: { into: 'traits' } },
      sink: { filename: 'out', format: 'csv' },
    });
    await project.put('a.csv', 'a,b\nx,y\n');
    const plan = await project.run('apply', { now: NOW });
    expect(plan.error).toBeUndefined();
    expect((await project.get('out.csv')).toString()).toBe('c,traits\nx-y,a=x&b=y\n');
  });

  it('an expression DuckDB cannot run fails at its setting (file:line:col), not as a DuckDB error', async () => {
    const project = await fx.createProject();
    await project.writePipeline('p', {
      name: 'p',
      source: { format: { kind: 'csv' } },
      mapping: { fields: ['a'], compute: { ok: 'upper(a)', bad: 'b + 1' } },
      sink: { filename: 'out', format: 'csv' },
    });
    const yaml = (await readFile(join(project.dir, 'pipelines', 'p.yaml'), 'utf8')).split('\n');
    const line = yaml.findIndex((l) => l.includes('b + 1')) + 1;
    const col = (yaml[line - 1] ?? '').indexOf('b + 1') + 1;
    await project.put('a.csv', 'a,b\nx,1\n');
    const plan = await project.run('plan', { now: NOW });
    expect(plan.error).toMatchObject({
      code: 'MAPPING_COMPUTE_FAILED',
      location: `pipelines/p.yaml:${line}:${col}`,
    });
    expect(plan.error?.hint).toBeTruthy();
  });

  it('with a diff, an expression that fails on the data is still named at its setting', async () => {
    // With a diff the mapping is a view, first run by the diff's hash pass: the error must still be
    // the mapping's, not a DuckDB error from the diff.
    const project = await fx.createProject();
    await project.writePipeline('p', {
      name: 'p',
      source: { format: { kind: 'csv' } },
      mapping: { fields: ['a', 'b'], compute: { n: 'CAST(b AS INTEGER)' } },
      diff: { key: ['a'] },
      sink: { filename: 'out', format: 'csv' },
    });
    await project.put('a.csv', 'a,b\nx,1\ny,not-a-number\n');
    const plan = await project.run('plan', { now: NOW });
    expect(plan.error).toMatchObject({ code: 'MAPPING_COMPUTE_FAILED' });
  });
});
