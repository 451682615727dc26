/**
 * `ferry show PLANFILE`: a saved plan rendered in each format against golden files
 * (test/golden/show/), with no project, no credentials and no S3; a damaged or foreign file is
 * PLAN_UNREADABLE naming the file, line and column. After an intended change:
 * `UPDATE_GOLDEN=1 npx vitest run test/unit/cli/show-command.test.ts`, then review the diff.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FERRY_VERSION } from '../../../engine/ferry-version.js';
import { renderPlanJson } from '../../../engine/report/render-plan-json.js';
import { runCliCaptured } from '../../harness/run-cli-captured.js';
import { createFixturePlan } from '../report/plan-fixture.js';

const GOLDEN = fileURLToPath(new URL('../../golden/show/', import.meta.url));
const UPDATE = process.env['UPDATE_GOLDEN'] === '1';

function expectGolden(file: string, actual: string): void {
  const path = join(GOLDEN, file);
  if (UPDATE) {
    writeFileSync(path, actual);
    return;
  }
  expect(existsSync(path), `${file} is missing: run with UPDATE_GOLDEN=1 and review it`).toBe(true);
  expect(actual).toBe(readFileSync(path, 'utf8'));
}

/** A directory with only the saved plan: no ferry.yaml, and an environment without credentials. */
function savedPlan(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-show-'));
  writeFileSync(join(dir, 'plan.json'), text);
  return dir;
}

const show = (dir: string, args: string[]) =>
  runCliCaptured(['show', 'plan.json', ...args], { cwd: dir, env: {} });

describe('ferry show PLANFILE (golden files)', () => {
  const dir = savedPlan(renderPlanJson(createFixturePlan()));

  it.each([
    ['text', 'plan.txt', ['--show-sql']],
    ['markdown', 'plan.md', ['--format', 'markdown']],
    ['json', 'plan.json', ['--format', 'json']],
  ])('%s', async (_, golden, args) => {
    const run = await show(dir, args);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expectGolden(
      golden,
      run.stdout.replace(`"ferry_version": ${JSON.stringify(FERRY_VERSION)}`, '"ferry_version": "<version>"'),
    );
  });

  it('shows the plan it read, with the outcome keys beside it', async () => {
    const json = renderPlanJson(createFixturePlan());
    const shown = JSON.parse((await show(savedPlan(json), ['--format', 'json'])).stdout) as Record<
      string,
      unknown
    >;
    const { command, ok, exit_code: exitCode, problems, ...plan } = shown;
    expect({ command, ok, exitCode, problems }).toEqual({
      command: 'show',
      ok: true,
      exitCode: 0,
      problems: [],
    });
    expect(plan).toEqual(JSON.parse(json));
  });
});

describe('ferry show: files that are not a plan', () => {
  const valid = renderPlanJson(createFixturePlan());
  const lines = valid.split('\n');
  const runIdLine = lines.findIndex((l) => l.includes('"run_id"')) + 1;
  it.each([
    ['cut short', valid.slice(0, 200), /plan\.json:\d+:\d+/],
    [
      'with a syntax error on line 3',
      '{\n  "format_version": 2,\n  "pipelines": [1 2]\n}\n',
      /plan\.json:3:\d+/,
    ],
    ['another tool’s JSON', '{\n  "name": "x"\n}\n', /plan\.json/],
    ['in another plan format', '{\n  "format_version": 1,\n  "pipelines": []\n}\n', /plan\.json:2:21/],
    [
      'with a wrong field',
      valid.replace(/"run_id": "[^"]*"/, '"run_id": 7'),
      new RegExp(`plan\\.json:${runIdLine}:\\d+`),
    ],
  ])('%s: PLAN_UNREADABLE with its location, exit 1', async (_, text, location) => {
    const run = await show(savedPlan(text), []);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('[PLAN_UNREADABLE]');
    expect(run.stderr).toMatch(location);
  });

  it('a missing file is PLAN_UNREADABLE; no file named is a usage error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ferry-show-'));
    const missing = await show(dir, []);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('[PLAN_UNREADABLE]');
    expect((await runCliCaptured(['show'], { cwd: dir, env: {} })).code).toBe(64);
  });
});
