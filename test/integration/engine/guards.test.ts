/**
 * Destructive-change limits (docs/guards.md) end to end: a vendor's day-2 export truncated to 3% of
 * its rows trips max_removed under diff; apply refuses with exit code 6 and writes nothing (no
 * output, state as it was but for the quarantine of that file); the file stays quarantined on later
 * runs until it is replaced, released (`ferry state release`) or allowed by name (`--allow`), or
 * applied through a saved plan that was reviewed and allowed with the guard tripped.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import type { NotifyEvent } from '../../../engine/notify/notify-event.js';
import { startWebhookReceiver } from '../../harness/webhook-receiver.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { at, startEngineFixture, type EngineFixture, type TestProject } from './engine-fixture.js';

let fx: EngineFixture;
beforeAll(async () => {
  fx = await startEngineFixture();
});
afterAll(async () => {
  await fx?.stop();
});

const rows = (ids: number[], plan = 'free') =>
  `id,name,plan\n${ids.map((i) => `${i},name-${i},${plan}`).join('\n')}\n`;
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const FULL = rows(range(1, 100));
// The truncated export: 3 of the 100 rows.
const TRUNCATED = rows(range(1, 3), 'pro');
const day1 = at('2024-05-01T06:00:00Z');
const day2 = at('2024-05-02T06:00:00Z');
const DAY2_KEY = 'in/accounts_20240502.csv';

async function diffProject(options: { notify?: string } = {}): Promise<TestProject> {
  const project = await fx.createProject();
  await project.writePipeline('p', {
    name: 'p',
    source: {
      prefix: 'in/',
      match: '^accounts_(?P<timestamp>\\d{8})\\.csv$',
      timestamp_format: 'YYYYMMDD',
      pick: 'newest',
      format: { kind: 'csv' },
    },
    diff: { key: ['id'] },
    guards: { max_removed: '20%' },
    ...(options.notify ? { notify: { on_failure: ['hook'] } } : {}),
    sink: {
      directory: 'out/',
      filename: 'changed-{{timestamp}}',
      timestamp_format: 'YYYYMMDD',
      format: 'csv',
    },
  } as Parameters<TestProject['writePipeline']>[1]);
  if (options.notify) {
    const file = join(project.dir, 'ferry.yaml');
    const spec = parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    spec['notifications'] = { hook: { kind: 'webhook', url: options.notify, max_attempts: 1 } };
    writeFileSync(file, stringify(spec));
  }
  await project.put('in/accounts_20240501.csv', FULL);
  expect((await project.run('apply', { now: day1 })).error).toBeUndefined();
  await project.put(DAY2_KEY, TRUNCATED);
  return project;
}

/** Everything of state.json but the quarantine and the commit counter. */
function withoutQuarantine(state: Record<string, unknown> | undefined): Record<string, unknown> {
  const { quarantined: _q, generation: _g, ...rest } = state ?? {};
  return rest;
}

describe('max_removed under diff', () => {
  it('plan shows the tripped guard; apply refuses, writes nothing and quarantines the file', async () => {
    const project = await diffProject();
    const planned = await project.run('plan', { now: day2 });
    expect(planned.error).toBeUndefined();
    expect(planned.counts.rowsRemoved).toBe(97);
    expect(planned.guards).toEqual([
      {
        guard: 'max_removed',
        count: 97,
        limit: 20,
        setting: '20%',
        base: 100,
        tripped: true,
        allowed: false,
      },
    ]);

    // Markdown: the tripped guard comes first, above the summary table; text and JSON show it too.
    const markdown = (await project.cli(['plan', '--format', 'markdown'])).stdout;
    expect(markdown).toContain('**Review first:**');
    expect(markdown).toContain('guard max\\_removed: 97 rows removed, limit 20 (20% of 100 previous rows)');
    expect(markdown.indexOf('**Review first:**')).toBeLessThan(markdown.indexOf('| pipeline |'));
    expect((await project.cli(['plan'])).stdout).toContain(
      'apply refuses (exit 6) unless --allow max_removed',
    );

    const outputsBefore = await project.list();
    const stateBefore = await project.readState('p');
    const hashesBefore = await project.hashState();
    const refused = await project.cli(['apply']);
    expect(refused.code).toBe(6);
    expect(refused.stdout).toContain('GUARD_TRIPPED');
    expect(refused.stdout).toContain('--allow max_removed');
    // Nothing written: no output, and state as it was except the quarantine of the day-2 file.
    expect(await project.list()).toEqual(outputsBefore);
    const stateAfter = await project.readState('p');
    expect(withoutQuarantine(stateAfter)).toEqual(withoutQuarantine(stateBefore));
    expect(stateAfter?.['quarantined']).toEqual([
      expect.objectContaining({ key: DAY2_KEY, code: 'GUARD_TRIPPED', guards: ['max_removed'] }),
    ]);
    // The snapshot file is the same bytes: the truncated file was not diffed into it.
    const snapshots = (h: Record<string, string>) =>
      Object.entries(h).filter(([k]) => k.includes('snapshot-'));
    expect(snapshots(await project.hashState())).toEqual(snapshots(hashesBefore));

    // The next run skips the quarantined file instead of failing on it again.
    const next = await project.run('apply', { now: day2 });
    expect(next.error).toBeUndefined();
    expect(next.selection.selected).toEqual([]);
    expect(next.selection.skipped).toContainEqual(
      expect.objectContaining({ key: DAY2_KEY, reason: 'quarantined' }),
    );
    expect(next.quarantined?.map((q) => q.key)).toEqual([DAY2_KEY]);
    expect(await project.list()).toEqual(outputsBefore);

    // `ferry state show` lists it with the reason.
    const shown = await project.cli(['state', 'show', 'p']);
    expect(JSON.parse(shown.stdout)).toMatchObject({
      quarantined: [{ key: DAY2_KEY, code: 'GUARD_TRIPPED' }],
    });
  });

  it('--allow max_removed lets it through and releases the file', async () => {
    const project = await diffProject();
    expect((await project.run('apply', { now: day2 })).error?.code).toBe('GUARD_TRIPPED');
    // Another guard's allowance does not release it.
    const other = await project.run('apply', { now: day2, allow: ['max_changed'] });
    expect(other.selection.selected).toEqual([]);
    const allowed = await project.run('apply', { now: day2, allow: ['max_removed'] });
    expect(allowed.error).toBeUndefined();
    expect(allowed.guards).toEqual([
      expect.objectContaining({ guard: 'max_removed', tripped: true, allowed: true }),
    ]);
    expect((await project.list()).map((o) => o.key)).toContain('out/changed-20240502.csv');
    const state = await project.readState('p');
    expect(state?.['quarantined']).toBeUndefined();
    expect(state?.['snapshot']).toMatchObject({ rows: 3 });
  });

  it('a replaced file (new content) is taken again', async () => {
    const project = await diffProject();
    expect((await project.run('apply', { now: day2 })).error?.code).toBe('GUARD_TRIPPED');
    await project.put(DAY2_KEY, rows(range(1, 99)));
    const replaced = await project.run('apply', { now: day2 });
    expect(replaced.error).toBeUndefined();
    expect(replaced.selection.selected.map((c) => c.key)).toEqual([DAY2_KEY]);
    expect(replaced.counts.rowsRemoved).toBe(1);
    expect((await project.readState('p'))?.['quarantined']).toBeUndefined();
  });

  it('ferry state release takes it out of quarantine; the next run checks it again', async () => {
    const project = await diffProject();
    expect((await project.run('apply', { now: day2 })).error?.code).toBe('GUARD_TRIPPED');
    const released = await project.cli(['state', 'release', 'p', DAY2_KEY]);
    expect(released.code).toBe(0);
    expect((await project.readState('p'))?.['quarantined']).toBeUndefined();
    const again = await project.run('plan', { now: day2 });
    expect(again.selection.selected.map((c) => c.key)).toEqual([DAY2_KEY]);
    expect(again.guards?.[0]?.tripped).toBe(true);
    // Releasing a file that is not quarantined says so.
    const missing = await project.cli(['state', 'release', 'p', DAY2_KEY]);
    expect(missing.code).toBe(1);
    expect(missing.stderr + missing.stdout).toContain('NOT_QUARANTINED');
  });

  it('a saved plan allows exactly what it was reviewed with', async () => {
    const project = await diffProject();
    // Reviewed without an allowance: applying it is refused like a plain apply.
    expect((await project.cli(['plan', '--out', 'plain.json'])).code).toBe(0);
    const plain = await project.cli(['apply', '--plan', 'plain.json']);
    expect(plain.code).toBe(6);
    expect(await project.list()).toHaveLength(1);
    // A plan of the quarantined file round-trips (its skip reason and the quarantine list).
    const quarantinedPlan = await project.cli(['plan', '--out', 'quarantined.json', '--format', 'markdown']);
    expect(quarantinedPlan.stdout).toContain(`quarantined \`${DAY2_KEY}\``);
    expect((await project.cli(['apply', '--plan', 'quarantined.json'])).code).toBe(0);
    expect(await project.list()).toHaveLength(1);
    // The refusal quarantined the file: release it, then review with the allowance.
    expect((await project.cli(['state', 'release', 'p', DAY2_KEY])).code).toBe(0);
    expect((await project.cli(['plan', '--allow', 'max_removed', '--out', 'plan.json'])).code).toBe(0);
    const saved = JSON.parse(readFileSync(join(project.dir, 'plan.json'), 'utf8')) as {
      pipelines: Array<{ guards: unknown }>;
    };
    expect(saved.pipelines[0]?.guards).toEqual([
      { guard: 'max_removed', count: 97, limit: 20, setting: '20%', base: 100, tripped: true, allowed: true },
    ]);
    const applied = await project.cli(['apply', '--plan', 'plan.json']);
    expect(applied.code).toBe(0);
    expect(await project.list()).toHaveLength(2);
    expect((await project.readState('p'))?.['snapshot']).toMatchObject({ rows: 3 });
  });

  it('a refusal sends the failure notification, naming the guard', async () => {
    const hook = await startWebhookReceiver();
    try {
      const project = await diffProject({ notify: hook.url });
      expect((await project.run('apply', { now: day2 })).error?.code).toBe('GUARD_TRIPPED');
      const events = hook.requests.map((r) => JSON.parse(r.body) as NotifyEvent);
      expect(events).toEqual([
        expect.objectContaining({
          kind: 'failure',
          pipeline: 'p',
          error: expect.objectContaining({ code: 'GUARD_TRIPPED' }),
        }),
      ]);
    } finally {
      await hook.stop();
    }
  });

  it('--allow takes guard names only', async () => {
    const project = await diffProject();
    const blanket = await project.cli(['apply', '--allow', 'all']);
    expect(blanket.code).toBe(64);
    // The usage error lists the names it takes.
    expect(blanket.stderr).toContain('max_removed, max_deleted, max_changed, min_rows');
    expect(await project.list()).toHaveLength(1);
  });
});
