/**
 * Exports from datasets (the Lytics "Export Audiences" / "Export Activity Data"): every file type
 * with exact contents, the "User Limit", "Fields to Export", audiences as segments and `where`, the
 * "Additional Segments" field, several event streams in one export, gzip.
 */
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryFile } from '../../harness/duckdb-files.js';
import { at, startDatasetFixture, type DatasetFixture, type DatasetProject } from './dataset-fixture.js';

let fx: DatasetFixture;
let p: DatasetProject;
const NOW = at('2024-06-01T12:00:00Z');

const USERS = [
  {
    user_id: 'u1',
    email: 'ada@x.io',
    plan: 'pro',
    score: 9,
    tags: ['a', 'b&c'],
    traits: { city: 'Berlin', 'k=v': '50%' },
  },
  { user_id: 'u2', email: 'bob@x.io', plan: 'free', score: 3, tags: [], traits: {} },
  { user_id: 'u3', email: 'cy@x.io', plan: 'pro', score: 10, tags: ['x'], traits: { note: 'say "hi", ok' } },
  { user_id: 'u4', email: null, plan: 'enterprise', score: null, tags: null, traits: null },
];
const HEADER = 'user_id,email,plan,score,tags,traits';
const CSV_ROWS = [
  'u1,ada@x.io,pro,9,a&b%26c,city=Berlin&k%3Dv=50%25',
  'u2,bob@x.io,free,3,"",""',
  'u3,cy@x.io,pro,10,x,"note=say ""hi"", ok"',
  'u4,,enterprise,,,',
];

beforeAll(async () => {
  fx = await startDatasetFixture();
  p = await fx.createProject({
    datasets: {
      users: {
        kind: 'entity',
        key: ['user_id'],
        columns: {
          user_id: 'VARCHAR',
          email: 'VARCHAR',
          plan: 'VARCHAR',
          score: 'INTEGER',
          tags: 'VARCHAR[]',
          traits: 'MAP(VARCHAR, VARCHAR)',
        },
      },
      tracks: { kind: 'events', key: ['message_id'] },
      pageviews: { kind: 'events', key: ['view_id'] },
    },
    segments: {
      promoters: { dataset: 'users', where: 'score >= 9' },
      paying: { dataset: 'users', where: "plan <> 'free'" },
      busy_tracks: { dataset: 'tracks', where: "type = 'buy'" },
    },
  });
  const ndjson = { kind: 'json', layout: 'ndjson' };
  await p.writeImport('users', { dataset: 'users', mode: 'upsert', format: ndjson });
  await p.writeImport('tracks', { dataset: 'tracks', mode: 'append', format: ndjson });
  await p.writeImport('pageviews', { dataset: 'pageviews', mode: 'append', format: ndjson });
  await p.put('in/users/users.ndjson', USERS.map((u) => JSON.stringify(u)).join('\n') + '\n');
  await p.put('in/tracks/t.ndjson', '{"message_id":"m2","type":"buy"}\n{"message_id":"m1","type":"login"}\n');
  await p.put('in/pageviews/v.ndjson', '{"view_id":"v1","url":"/a"}\n');
  for (const name of ['users', 'tracks', 'pageviews']) {
    const plan = await p.run('apply', name, at('2024-06-01T00:00:00Z'));
    expect(plan.error).toBeUndefined();
  }
});
afterAll(async () => {
  await fx?.stop();
});

/** Writes an export pipeline, applies it and returns its one output's bytes. */
async function exportOnce(name: string, spec: Parameters<DatasetProject['writeExport']>[1]) {
  await p.writeExport(name, spec);
  const plan = await p.run('apply', name, NOW);
  expect(plan.error).toBeUndefined();
  expect(plan.outputs).toHaveLength(1);
  const [output] = plan.outputs;
  return { plan, key: output?.key ?? '', bytes: await p.get(output?.key ?? '') };
}

describe('file types', () => {
  it('flat CSV: lists and maps joined by &, with %, & and = percent-encoded (exact bytes)', async () => {
    const { key, bytes, plan } = await exportOnce('users-csv', {
      source: { dataset: 'users' },
      sink: { format: 'csv' },
    });
    expect(key).toBe('out/users-csv/users-csv.csv');
    expect(bytes.toString()).toBe([HEADER, ...CSV_ROWS, ''].join('\n'));
    expect(plan.counts.rowsRead).toBe(4);
    expect(plan.counts.rowsWritten).toBe(4);
  });

  it('gzip: the same bytes, compressed', async () => {
    const { key, bytes } = await exportOnce('users-gz', {
      source: { dataset: 'users' },
      sink: { format: 'csv', compress: 'gzip' },
    });
    expect(key).toBe('out/users-gz/users-gz.csv.gz');
    expect(bytes.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    expect(gunzipSync(bytes).toString()).toBe([HEADER, ...CSV_ROWS, ''].join('\n'));
  });

  it('JSON: one array of objects, lists as arrays and maps as objects', async () => {
    const { bytes } = await exportOnce('users-json', {
      source: { dataset: 'users' },
      sink: { format: 'json' },
    });
    expect(JSON.parse(bytes.toString())).toEqual(USERS);
  });

  it('NDJSON: one object per line', async () => {
    const { bytes } = await exportOnce('users-ndjson', {
      source: { dataset: 'users' },
      sink: { format: 'ndjson' },
    });
    const lines = bytes.toString().split('\n');
    expect(lines.at(-1)).toBe('');
    expect(lines.slice(0, -1).map((line) => JSON.parse(line) as unknown)).toEqual(USERS);
  });

  it('Parquet: the column types kept', async () => {
    const { bytes } = await exportOnce('users-parquet', {
      source: { dataset: 'users' },
      sink: { format: 'parquet' },
    });
    const types = await queryFile(
      bytes,
      'u.parquet',
      "SELECT column_name || ' ' || column_type AS c FROM (DESCRIBE SELECT * FROM read_parquet($path))",
    );
    expect(types.map((t) => t['c'])).toEqual([
      'user_id VARCHAR',
      'email VARCHAR',
      'plan VARCHAR',
      'score INTEGER',
      'tags VARCHAR[]',
      'traits MAP(VARCHAR, VARCHAR)',
    ]);
    const rows = await queryFile(
      bytes,
      'u.parquet',
      'SELECT user_id, score, tags, map_entries(traits) AS traits FROM read_parquet($path)',
    );
    expect(rows).toEqual(
      USERS.map((u) => ({
        user_id: u.user_id,
        score: u.score,
        tags: u.tags,
        traits: u.traits ? Object.entries(u.traits).map(([key, value]) => ({ key, value })) : null,
      })),
    );
  });
});

describe('what is exported', () => {
  it('limit (the "User Limit"): the first rows in key order', async () => {
    const { bytes } = await exportOnce('users-limit', {
      source: { dataset: 'users', limit: 2 },
      sink: { format: 'csv' },
    });
    expect(bytes.toString()).toBe([HEADER, ...CSV_ROWS.slice(0, 2), ''].join('\n'));
  });

  it('fields (the "Fields to Export"): only these columns, in this order', async () => {
    const { bytes } = await exportOnce('users-fields', {
      source: { dataset: 'users', fields: ['email', 'user_id'] },
      sink: { format: 'csv' },
    });
    expect(bytes.toString()).toBe('email,user_id\nada@x.io,u1\nbob@x.io,u2\ncy@x.io,u3\n,u4\n');
  });

  it('segment (an audience), and where on top of it', async () => {
    const segment = await exportOnce('promoters', {
      source: { segment: 'promoters', fields: ['user_id', 'score'] },
      sink: { format: 'csv' },
    });
    expect(segment.bytes.toString()).toBe('user_id,score\nu1,9\nu3,10\n');
    const where = await exportOnce('pro-users', {
      source: { dataset: 'users', where: "plan = 'pro' AND list_contains(tags, 'x')", fields: ['user_id'] },
      sink: { format: 'csv' },
    });
    expect(where.bytes.toString()).toBe('user_id\nu3\n');
    const both = await exportOnce('paying-high', {
      source: { segment: 'paying', where: 'score > 9', fields: ['user_id'] },
      sink: { format: 'csv' },
    });
    expect(both.bytes.toString()).toBe('user_id\nu3\n');
  });

  it('segments_field (the "Additional Segments"): every segment of the row, also with fields', async () => {
    const { bytes } = await exportOnce('users-segments', {
      source: { dataset: 'users', fields: ['user_id'] },
      sink: { format: 'csv', segments_field: 'segments' },
    });
    expect(bytes.toString()).toBe(
      'user_id,segments\nu1,promoters&paying\nu2,""\nu3,promoters&paying\nu4,paying\n',
    );
    const json = await exportOnce('users-segments-json', {
      source: { dataset: 'users', limit: 1 },
      sink: { format: 'json', segments_field: 'segments' },
    });
    expect(JSON.parse(json.bytes.toString())).toEqual([{ ...USERS[0], segments: ['promoters', 'paying'] }]);
  });

  it('two datasets in one export: a _dataset column tells them apart', async () => {
    const { bytes } = await exportOnce('streams', {
      source: { datasets: ['tracks', 'pageviews'] },
      sink: { format: 'csv' },
    });
    expect(bytes.toString()).toBe(
      'message_id,type,url,view_id,_dataset\nm1,login,,,tracks\nm2,buy,,,tracks\n,,/a,v1,pageviews\n',
    );
    const segmented = await exportOnce('streams-segments', {
      source: { datasets: ['tracks', 'pageviews'], fields: ['message_id', 'view_id'] },
      sink: { format: 'ndjson', segments_field: 'segments' },
    });
    expect(
      segmented.bytes
        .toString()
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as unknown),
    ).toEqual([
      { message_id: 'm1', view_id: null, segments: [], _dataset: 'tracks' },
      { message_id: 'm2', view_id: null, segments: ['busy_tracks'], _dataset: 'tracks' },
      { message_id: null, view_id: 'v1', segments: [], _dataset: 'pageviews' },
    ]);
  });

  it('a declared column no pipeline has written yet exports as empty, and segments may use it', async () => {
    const q = await fx.createProject({
      datasets: {
        users: {
          kind: 'entity',
          key: ['user_id'],
          columns: { user_id: 'VARCHAR', email: 'VARCHAR', last_seen_at: 'TIMESTAMPTZ' },
        },
      },
      segments: { dormant: { dataset: 'users', where: 'last_seen_at IS NULL' } },
    });
    await q.writeImport('users', { dataset: 'users', mode: 'upsert' });
    await q.writeExport('dormant', {
      source: { segment: 'dormant', fields: ['user_id', 'last_seen_at'] },
      sink: { format: 'csv', segments_field: 'segments' },
    });
    await q.put('in/users/1.csv', 'user_id,email\nu1,ada@x.io\n');
    await q.run('apply', 'users', NOW);
    const plan = await q.run('apply', 'dormant', NOW);
    expect(plan.error).toBeUndefined();
    expect((await q.get(plan.outputs[0]?.key ?? '')).toString()).toBe(
      'user_id,last_seen_at,segments\nu1,,dormant\n',
    );
  });

  it('a dataset that was never written exports nothing, even with fields', async () => {
    const q = await fx.createProject({
      datasets: {
        users: { kind: 'entity', key: ['user_id'], columns: { user_id: 'VARCHAR', email: 'VARCHAR' } },
      },
    });
    await q.writeExport('users-export', {
      source: { dataset: 'users', fields: ['email'] },
      sink: { format: 'csv' },
    });
    const plan = await q.run('apply', 'users-export', NOW);
    expect(plan.error).toBeUndefined();
    expect([plan.counts.rowsRead, plan.outputs.length]).toEqual([0, 0]);
  });
});
