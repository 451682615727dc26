/**
 * A plan with every part filled in, for the renderer golden files and the JSON round trip: an S3
 * pipeline with changes (one selected key is hostile Markdown), a dataset sink that deletes and
 * publishes tombstones, a failed pipeline, one that removes a failed run's orphaned objects, and a
 * disabled one. Fixed clock, no paths from the machine.
 */
import { PLAN_FORMAT_VERSION, type Plan, type PipelinePlan } from '../../../engine/plan/plan-model.js';
import { emptyCounts } from '../../../engine/state/pipeline-state.js';

export const HOSTILE_KEY = 'in/a`|<img src=x onerror=alert(1)>\n# h.csv';

const hex = (c: string) => c.repeat(64);

const accounts: PipelinePlan = {
  pipeline: 'accounts',
  description: 'Vendor accounts <daily> & more',
  runId: '20260301T060000Z-abc123',
  runTime: '2026-03-01T06:00:00.000Z',
  selection: {
    listed: 4,
    matched: 3,
    selected: [
      {
        key: 'in/accounts_20260301.csv',
        name: 'accounts_20260301.csv',
        size: 2048,
        etag: '"e1"',
        lastModified: new Date('2026-03-01T05:00:00.000Z'),
        timestamp: new Date('2026-02-28T23:00:00.000Z'),
      },
      {
        key: HOSTILE_KEY,
        name: HOSTILE_KEY.slice(3),
        size: 10,
        etag: '"e2"',
        lastModified: new Date('2026-03-01T05:30:00.000Z'),
      },
    ],
    changed: ['in/accounts_20260301.csv'],
    skipped: [
      { key: 'in/accounts_20260228.csv', reason: 'already-processed', detail: 'processed by run r0' },
      { key: 'in/accounts_2026.csv', reason: 'bad-timestamp', detail: '"2026" does not read as YYYYMMDD' },
    ],
    warnings: [],
  },
  steps: [
    {
      kind: 'fetch',
      connection: 'vendor',
      bucket: 'vendor-in',
      objects: [{ key: 'in/accounts_20260301.csv', size: 2048, etag: '"e1"', localName: 'f0.csv' }],
    },
    { kind: 'load', format: 'csv', table: 'source' },
    { kind: 'check-schema' },
    { kind: 'map', table: 'mapped' },
    { kind: 'check', mappedTable: 'mapped', checks: ['unique(account_id)', 'row_count'] },
    { kind: 'diff', key: ['account_id'], tombstones: null, table: 'diffed' },
    { kind: 'write-files', format: 'csv', compress: 'gzip' },
    { kind: 'upload', connection: 'vendor', bucket: 'vendor-out' },
    { kind: 'commit-state' },
  ],
  schedule: { description: 'daily at 06:00 (Europe/Berlin)', next: ['2026-03-02T05:00:00.000Z'] },
  configChanges: [
    { path: 'source.timezone', change: 'changed', before: 'UTC', after: 'Europe/Berlin' },
    { path: 'mapping.rename.firstName', change: 'added', after: 'first_name' },
    { path: 'mapping.cast', change: 'removed', before: { camelKey: 'INTEGER' } },
  ],
  firstApply: false,
  counts: {
    ...emptyCounts(),
    filesMatched: 3,
    filesNew: 2,
    filesSkipped: 2,
    rowsRead: 120,
    rowsRejected: 2,
    rowsAdded: 5,
    rowsChanged: 3,
    rowsRemoved: 1,
    rowsUnchanged: 109,
    rowsWritten: 8,
  },
  outputs: [
    { bucket: 'vendor-out', key: 'out/accounts-20260301060000.csv.gz', format: 'csv', rows: 8, bytes: 311 },
  ],
  rejects: [
    { file: 'in/accounts_20260301.csv', line: 7, reason: 'Could not convert "ten" to INTEGER | <b>' },
    { file: 'in/accounts_20260301.csv', line: null, row: 42, reason: 'required column id is empty' },
  ],
  rejectedRowsFile: 'state/pipelines/accounts/runs/20260301T060000Z-abc123/rejected-rows.csv',
  warnings: [
    { code: 'SEQUENCE_OVERDUE', message: 'The next file is overdue: 13 days 4 hours ago; @here' },
    // A run of files with one warning each: text and Markdown show three and fold the rest.
    ...[1, 2, 3, 4, 5].map((n) => ({
      code: 'CSV_MIXED_LINE_BREAKS',
      message: `s3://acme-drops/accounts/accounts_2026030${n}.csv ends 2 lines with CRLF and the others with LF.`,
    })),
  ],
  checks: [
    {
      name: 'unique(account_id)',
      kind: 'unique',
      severity: 'fail',
      onFail: 'reject_rows',
      status: 'failed',
      failingRows: 2,
      sampleKeys: ['account_id=a|3', 'account_id=a|3'],
      rowsRejected: 2,
    },
    {
      name: 'row_count',
      kind: 'row_count',
      severity: 'fail',
      onFail: 'fail_run',
      status: 'passed',
      failingRows: 0,
      sampleKeys: [],
      detail: '120 rows; min 1',
    },
  ],
  checkedRows: 118,
  schemaDrift: {
    baseline: 'previous-run',
    columns: [
      { name: 'account_id', type: 'VARCHAR' },
      { name: 'mrr', type: 'BIGINT' },
      { name: 'segment', type: 'VARCHAR' },
    ],
    header: true,
    newColumns: ['segment'],
    missingColumns: [],
    typeChanges: [],
    reordered: false,
    breaking: false,
    actions: [],
  },
  sql: [{ step: 'map', sql: 'CREATE TABLE "mapped" AS SELECT 1' }],
  fingerprints: {
    config: hex('a'),
    state: hex('b'),
    inputs: [
      ['in/accounts_20260301.csv', '"e1"', 2048],
      [HOSTILE_KEY, '"e2"', 10],
    ],
  },
  status: 'changes',
};

const orgs: PipelinePlan = {
  pipeline: 'orgs',
  runId: '20260301T060000Z-def456',
  runTime: '2026-03-01T06:00:00.000Z',
  selection: { listed: 1, matched: 1, selected: [], changed: [], skipped: [], warnings: [] },
  steps: [
    { kind: 'read-dataset', datasets: ['organizations'], table: 'source' },
    { kind: 'diff', key: null, tombstones: '_deleted', table: 'diffed' },
    { kind: 'merge-dataset', dataset: 'organizations', mode: 'mirror' },
    { kind: 'commit-state' },
  ],
  configChanges: [],
  firstApply: true,
  counts: { ...emptyCounts(), rowsRead: 3, rowsRemoved: 2 },
  outputs: [],
  rejects: [],
  warnings: [],
  dataset: {
    dataset: 'organizations',
    mode: 'mirror',
    created: 1,
    updated: 1,
    unchanged: 1,
    skipped: 0,
    unmatched: 0,
    deleted: 2,
    superseded: 0,
    rows: 3,
    version: 4,
    keys: { deleted: ['o2', 'o4'] },
    missingRelations: [{ column: 'owner_id', dataset: 'users', rows: 1 }],
  },
  sql: [],
  fingerprints: { config: hex('c'), state: hex('d'), inputs: [] },
  status: 'changes',
};

const broken: PipelinePlan = {
  pipeline: 'broken',
  runId: '20260301T060000Z-0f0f0f',
  runTime: '2026-03-01T06:00:00.000Z',
  selection: { listed: 0, matched: 0, selected: [], changed: [], skipped: [], warnings: [] },
  steps: [],
  configChanges: [],
  firstApply: true,
  counts: emptyCounts(),
  outputs: [],
  rejects: [],
  warnings: [],
  sql: [],
  fingerprints: { config: hex('e'), state: hex('f'), inputs: [] },
  status: 'error',
  error: {
    code: 'S3_ACCESS_DENIED',
    message: 'Access denied listing s3://vendor-in/*secret*/ [see](http://x)',
    hint: 'Check the policy with `ferry policy`.',
    location: 'pipelines/broken.yaml:4:11',
  },
};

/** A pipeline that removes the objects a failed run left behind, one of which the sink refused to delete. */
const cleanup: PipelinePlan = {
  ...structuredClone(broken),
  pipeline: 'cleanup',
  runId: '20260301T060000Z-1a1a1a',
  attemptId: '20260301T060000Z-1a1a1a',
  firstApply: false,
  status: 'changes',
  orphans: [
    { connection: 'out', bucket: 'vendor-out', key: 'exports/part-1.csv', runId: '20260228T060000Z-dead01' },
    { connection: 'out', bucket: 'vendor-out', key: 'exports/part-2.csv', runId: '20260228T060000Z-dead01' },
  ],
  orphansDeleted: [
    { connection: 'out', bucket: 'vendor-out', key: 'exports/part-1.csv', runId: '20260228T060000Z-dead01' },
  ],
  orphansKept: [
    {
      connection: 'out',
      bucket: 'vendor-out',
      key: 'exports/part-2.csv',
      runId: '20260228T060000Z-dead01',
      reason: 'S3_ACCESS_DENIED',
    },
  ],
};
delete cleanup.error;

const paused: PipelinePlan = {
  ...structuredClone(broken),
  pipeline: 'paused',
  firstApply: false,
  status: 'disabled',
  warnings: [
    {
      code: 'PIPELINE_DISABLED',
      message: 'Pipeline "paused" is disabled (enabled: false in pipelines/paused.yaml).',
    },
  ],
};
delete paused.error;

export function createFixturePlan(): Plan {
  return {
    formatVersion: PLAN_FORMAT_VERSION,
    createdAt: '2026-03-01T06:00:01.000Z',
    project: 'ferry.yaml',
    pipelines: [accounts, orgs, broken, cleanup, paused].map((p) => structuredClone(p)),
  };
}
