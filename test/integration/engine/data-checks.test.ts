/**
 * Data checks (docs/data-checks.md) run on the mapped rows after the map step, in plan and apply
 * alike, before anything is written: each kind passing and failing, severities warn and fail,
 * on_fail fail_run (CHECK_FAILED, nothing written, state untouched) and reject_rows (failing rows in
 * the rejected-rows file with the check's name as reason, the rest written).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { at, startEngineFixture, type EngineFixture, type PipelineInput } from './engine-fixture.js';

let fx: EngineFixture;
beforeAll(async () => {
  fx = await startEngineFixture();
});
afterAll(async () => {
  await fx?.stop();
});

const NOW = at('2026-03-01T06:00:00Z');
const CSV =
  'account_id,plan,email,mrr,seen\n' +
  'a1,pro,a1@example.com,100,2026-02-28T10:00:00Z\n' +
  'a2,free,a2@example.com,0,2026-02-27T10:00:00Z\n' +
  'a3,gold,not-an-email,-5,2026-02-26T10:00:00Z\n' +
  'a3,pro,,50,2026-02-25T10:00:00Z\n';

function pipeline(checks: unknown[]): PipelineInput {
  return {
    name: 'p',
    source: { format: { kind: 'csv' } },
    mapping: { key: ['account_id'], cast: { mrr: 'INTEGER', seen: 'TIMESTAMPTZ' } },
    sink: { filename: 'out', format: 'csv' },
    checks,
  } as PipelineInput;
}

async function setUp(checks: unknown[], csv = CSV) {
  const project = await fx.createProject();
  await project.writePipeline('p', pipeline(checks));
  await project.put('in.csv', csv);
  return project;
}

/** One failing and one passing configuration per kind, with the failing rows' count and first keys. */
const KINDS: Array<{
  kind: string;
  fails: Record<string, unknown>;
  passes: Record<string, unknown>;
  failing: number;
  keys: string[];
}> = [
  {
    kind: 'unique',
    fails: { columns: ['account_id'] },
    passes: { columns: ['email'] },
    failing: 2,
    keys: ['account_id=a3', 'account_id=a3'],
  },
  {
    kind: 'not_null',
    fails: { columns: ['email'] },
    passes: { columns: ['account_id'] },
    failing: 1,
    keys: ['account_id=a3'],
  },
  {
    kind: 'accepted_values',
    fails: { column: 'plan', values: ['free', 'pro'] },
    passes: { column: 'plan', values: ['free', 'pro', 'gold'] },
    failing: 1,
    keys: ['account_id=a3'],
  },
  {
    kind: 'matches',
    fails: { column: 'email', pattern: '[^@ ]+@[^@ ]+' },
    passes: { column: 'account_id', pattern: 'a[0-9]+' },
    failing: 1,
    keys: ['account_id=a3'],
  },
  {
    kind: 'range',
    fails: { column: 'mrr', min: 0 },
    passes: { column: 'mrr', min: -10, max: 100 },
    failing: 1,
    keys: ['account_id=a3'],
  },
  {
    kind: 'sql',
    fails: { expression: 'mrr >= 0' },
    passes: { expression: "plan <> 'platinum'" },
    failing: 1,
    keys: ['account_id=a3'],
  },
  {
    kind: 'sql',
    fails: { query: 'SELECT sum(mrr) > 1000 FROM rows' },
    passes: { query: 'SELECT count(*) = 4 FROM rows' },
    failing: 1,
    keys: [],
  },
  { kind: 'row_count', fails: { min: 5 }, passes: { min: 1, max: 4 }, failing: 1, keys: [] },
  {
    kind: 'freshness',
    fails: { column: 'seen', max_age: '12h' },
    passes: { column: 'seen', max_age: '1d' },
    failing: 1,
    keys: [],
  },
];

describe('each check kind', () => {
  for (const k of KINDS) {
    it(`${k.kind} ${JSON.stringify(k.fails)}: fails the run with CHECK_FAILED and writes nothing; passes otherwise`, async () => {
      const project = await setUp([{ kind: k.kind, ...k.fails }]);
      const stateBefore = await project.readState('p');
      const failed = await project.run('apply', { now: NOW });
      expect(failed.error?.code).toBe('CHECK_FAILED');
      expect(failed.checks).toHaveLength(1);
      expect(failed.checks?.[0]).toMatchObject({ kind: k.kind, status: 'failed', failingRows: k.failing });
      expect(failed.checks?.[0]?.sampleKeys).toEqual(k.keys);
      expect(await project.list()).toEqual([]);
      // The only state change of a refused run is its file's quarantine (docs/guards.md): nothing processed.
      const { quarantined, generation: _generation, ...stateAfter } = (await project.readState('p')) ?? {};
      const { generation: _before, ...rest } = stateBefore ?? {};
      expect(stateAfter).toEqual(
        stateBefore === undefined ? expect.objectContaining({ processed: [] }) : rest,
      );
      expect((quarantined as Array<{ code: string }> | undefined)?.map((q) => q.code)).toEqual([
        'CHECK_FAILED',
      ]);

      const other = await setUp([{ kind: k.kind, ...k.passes }]);
      const passed = await other.run('apply', { now: NOW });
      expect(passed.error).toBeUndefined();
      expect(passed.checks?.[0]).toMatchObject({ kind: k.kind, status: 'passed', failingRows: 0 });
      expect(await other.list()).toHaveLength(1);
    });
  }
});

describe('severity and on_fail', () => {
  it('plan runs the checks too and reports the failure without writing', async () => {
    const project = await setUp([{ kind: 'unique', columns: ['account_id'] }]);
    const plan = await project.run('plan', { now: NOW });
    expect(plan.error?.code).toBe('CHECK_FAILED');
    expect(plan.checks?.[0]).toMatchObject({ status: 'failed', failingRows: 2 });
    expect(plan.steps.map((s) => s.kind)).toEqual([
      'fetch',
      'load',
      'check-schema',
      'map',
      'check',
      'write-files',
      'upload',
      'commit-state',
    ]);
  });

  it('severity warn + fail_run: a warning, every row written', async () => {
    const project = await setUp([{ kind: 'not_null', columns: ['email'], severity: 'warn' }]);
    const run = await project.run('apply', { now: NOW });
    expect(run.error).toBeUndefined();
    expect(run.warnings.map((w) => w.code)).toContain('CHECK_WARNING');
    expect(run.counts.rowsWritten).toBe(4);
  });

  for (const severity of ['warn', 'fail']) {
    it(`severity ${severity} + reject_rows: failing rows go to the rejected-rows file with the check's name, the rest are written`, async () => {
      const project = await setUp([
        { kind: 'range', column: 'mrr', min: 0, on_fail: 'reject_rows', severity },
        {
          kind: 'unique',
          name: 'one_per_account',
          columns: ['account_id'],
          on_fail: 'reject_rows',
          severity,
        },
      ]);
      const run = await project.run('apply', { now: NOW });
      expect(run.error).toBeUndefined();
      expect(run.counts.rowsRejected).toBe(2);
      expect(run.counts.rowsWritten).toBe(2);
      const rows = parse<Record<string, string>>(
        await readFile(join(project.dir, run.rejectedRowsFile ?? ''), 'utf8'),
        {
          columns: true,
        },
      );
      expect(rows.map((r) => [r['row'], r['step'], r['reason']])).toEqual([
        ['3', 'check', 'check:one_per_account'],
        ['4', 'check', 'check:one_per_account'],
      ]);
      expect(JSON.parse(rows[0]?.['record'] ?? '')).toMatchObject({ account_id: 'a3', plan: 'gold' });
      expect(run.checks?.map((c) => c.rowsRejected)).toEqual([1, 2]);
      const [written] = await project.list();
      const out = (await project.get(written?.key ?? '')).toString('utf8');
      expect(out).toContain('a1');
      expect(out).not.toContain('a3');
    });
  }

  it('row_count_change compares with the row count the previous successful run kept in state', async () => {
    const project = await setUp([{ kind: 'row_count_change', max_decrease_percent: 50 }]);
    const first = await project.run('apply', { now: NOW });
    expect(first.checks?.[0]?.status).toBe('passed');
    expect((await project.readState('p'))?.['rowCount']).toBe(4);
    await project.put(
      'in2.csv',
      'account_id,plan,email,mrr,seen\na9,pro,a9@example.com,1,2026-02-28T10:00:00Z\n',
    );
    const second = await project.run('apply', { now: at('2026-03-02T06:00:00Z') });
    expect(second.error?.code).toBe('CHECK_FAILED');
    expect(second.checks?.[0]?.detail).toBe('1 rows, -75.0% from 4; max decrease 50%');
  });

  it('the CLI exits 6 (refused) for a failed fail-level check, in plan and apply, and shows it in every format', async () => {
    const project = await setUp([{ kind: 'unique', columns: ['account_id'] }]);
    const plan = await project.cli(['plan', '--format', 'markdown']);
    expect(plan.code).toBe(6);
    expect(plan.stdout.indexOf('> [!CAUTION]')).toBeLessThan(plan.stdout.indexOf('| pipeline |'));
    expect(plan.stdout).toContain(
      'check unique(account\\_id) failed: 2 rows (account\\_id=a3; account\\_id=a3)',
    );
    const json = await project.cli(['plan', '--format', 'json']);
    expect(json.code).toBe(6);
    const parsed = JSON.parse(json.stdout) as {
      pipelines: Array<{ checks: Array<Record<string, unknown>> }>;
    };
    expect(parsed.pipelines[0]?.checks[0]).toMatchObject({
      name: 'unique(account_id)',
      failing_rows: 2,
      on_fail: 'fail_run',
    });
    const apply = await project.cli(['apply']);
    expect(apply.code).toBe(6);
    expect(apply.stdout).toContain('CHECK_FAILED');
    expect(await project.list()).toEqual([]);
  });
});
