/**
 * The plan renderers against golden files (test/golden/plan/), the JSON plan read back by
 * parsePlanJson, and Markdown that a hostile object key cannot break or inject into.
 * After an intended change: `UPDATE_GOLDEN=1 npx vitest run test/unit/report/render-plan.test.ts`,
 * then review the diff.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FerryError } from '../../../engine/errors/ferry-error.js';
import type { ProjectGraph } from '../../../engine/plan/compile-graph.js';
import { FERRY_VERSION } from '../../../engine/ferry-version.js';
import { parsePlanJson } from '../../../engine/report/parse-plan-json.js';
import { renderPlanJson } from '../../../engine/report/render-plan-json.js';
import { renderPlanMarkdown } from '../../../engine/report/render-plan-markdown.js';
import { renderPlanText } from '../../../engine/report/render-plan-text.js';
import { createFixturePlan, HOSTILE_KEY } from './plan-fixture.js';

const GOLDEN = fileURLToPath(new URL('../../golden/plan/', import.meta.url));
const UPDATE = process.env['UPDATE_GOLDEN'] === '1';

function expectGolden(file: string, actual: string): void {
  const path = join(GOLDEN, file);
  if (UPDATE) {
    mkdirSync(GOLDEN, { recursive: true });
    writeFileSync(path, actual);
    return;
  }
  expect(existsSync(path), `${file} is missing: run with UPDATE_GOLDEN=1 and review it`).toBe(true);
  expect(actual).toBe(readFileSync(path, 'utf8'));
}

/** The version of ferry is not part of what the golden file checks. */
const normalizeVersion = (json: string) =>
  json.replace(`"ferry_version": ${JSON.stringify(FERRY_VERSION)}`, '"ferry_version": "<version>"');

describe('plan renderers (golden files)', () => {
  it('text', () => {
    expectGolden('plan.txt', renderPlanText(createFixturePlan(), { verb: 'Plan', showSql: true }));
  });

  it('markdown', () => {
    expectGolden('plan.md', renderPlanMarkdown(createFixturePlan()));
  });

  it('json', () => {
    expectGolden('plan.json', normalizeVersion(renderPlanJson(createFixturePlan())));
  });
});

describe('the graph in the Markdown plan', () => {
  const before: ProjectGraph = {
    nodes: [
      { id: 'bucket:s3/in', kind: 'bucket', label: 'in', detail: 's3' },
      { id: 'pipeline:accounts', kind: 'pipeline', label: 'accounts' },
      { id: 'pipeline:old-export', kind: 'pipeline', label: 'old-export' },
      { id: 'dataset:accounts', kind: 'dataset', label: 'accounts' },
    ],
    edges: [
      { from: 'bucket:s3/in', to: 'pipeline:accounts', kind: 'reads' },
      { from: 'pipeline:accounts', to: 'dataset:accounts', kind: 'writes', label: 'upsert' },
      { from: 'dataset:accounts', to: 'pipeline:old-export', kind: 'reads' },
    ],
  };
  const after: ProjectGraph = {
    nodes: [
      ...before.nodes.filter((n) => n.id !== 'pipeline:old-export'),
      { id: 'pipeline:export', kind: 'pipeline', label: 'export' },
      { id: 'bucket:s3/out', kind: 'bucket', label: 'out', detail: 's3' },
    ],
    edges: [
      ...before.edges.filter((e) => e.to !== 'pipeline:old-export'),
      { from: 'dataset:accounts', to: 'pipeline:export', kind: 'reads' },
      { from: 'pipeline:export', to: 'bucket:s3/out', kind: 'writes', label: 'csv' },
    ],
  };

  it('shows the changed graph, what was added marked and what was removed named (golden)', () => {
    expectGolden('plan-graph.md', renderPlanMarkdown(createFixturePlan(), { graph: { before, after } }));
  });

  it('leaves the graph out when it did not change', () => {
    expect(renderPlanMarkdown(createFixturePlan(), { graph: { before, after: before } })).toBe(
      renderPlanMarkdown(createFixturePlan()),
    );
  });
});

describe('plan JSON', () => {
  it('uses snake_case keys only, and carries format_version and ferry_version', () => {
    const json = JSON.parse(renderPlanJson(createFixturePlan())) as Record<string, unknown>;
    expect(Object.keys(json)).toEqual([
      'format_version',
      'ferry_version',
      'created_at',
      'project',
      'summary',
      'pipelines',
    ]);
    expect(json['ferry_version']).toBe(FERRY_VERSION);
    const keys: string[] = [];
    const visit = (value: unknown, opaque: boolean): void => {
      if (Array.isArray(value)) return value.forEach((v) => visit(v, opaque));
      if (value === null || typeof value !== 'object' || opaque) return;
      for (const [key, item] of Object.entries(value)) {
        keys.push(key);
        visit(item, key === 'before' || key === 'after');
      }
    };
    visit(json, false);
    expect(keys.filter((k) => /[A-Z]/.test(k))).toEqual([]);
    // Configuration values keep their own keys.
    expect(renderPlanJson(createFixturePlan())).toContain('"camelKey": "INTEGER"');
  });

  it('reads back into the same model (dates included)', () => {
    const plan = createFixturePlan();
    expect(parsePlanJson(renderPlanJson(plan), 'plan.json')).toEqual(plan);
  });

  const unreadable = (text: string): FerryError => {
    try {
      parsePlanJson(text, 'saved/plan.json');
    } catch (error) {
      if (error instanceof FerryError) return error;
      throw error;
    }
    throw new Error('parsePlanJson accepted the file');
  };
  const valid = () =>
    JSON.parse(renderPlanJson(createFixturePlan())) as { pipelines: Array<Record<string, unknown>> };

  it.each([
    ['not JSON', '{"format_version": 1,', /not JSON/],
    ['not an object', '[1, 2]', /not a ferry plan/],
    ['without format_version', '{"pipelines": []}', /no format_version/],
    ['of another format', '{"format_version": 99, "ferry_version": "9.0.0"}', /format 99 \(ferry 9\.0\.0\)/],
    [
      'without a fingerprint',
      JSON.stringify({
        ...valid(),
        pipelines: [{ ...valid()['pipelines'][0], fingerprints: { config: 'x' } }],
      }),
      /pipelines\[0\]\.fingerprints/,
    ],
    ['with a wrong type', JSON.stringify({ ...valid(), created_at: 5 }), /created_at must be string/],
    ['truncated', renderPlanJson(createFixturePlan()).slice(0, 400), /not JSON/],
  ])('a file %s is PLAN_UNREADABLE, naming the file and what to do', (_, text, detail) => {
    const error = unreadable(text);
    expect(error.code).toBe('PLAN_UNREADABLE');
    expect(error.message).toContain('saved/plan.json');
    expect(error.message).toMatch(detail);
    expect(error.context.file).toBe('saved/plan.json');
    expect(error.hint).toContain('ferry plan --out FILE');
  });

  it('a camelCase plan from before this format is refused, not half-read', () => {
    const old = { format_version: 1, createdAt: 'x', project: 'ferry.yaml', pipelines: [] };
    expect(unreadable(JSON.stringify(old)).message).toMatch(/format 1/);
    const mislabelled = { ...old, format_version: 2 };
    expect(unreadable(JSON.stringify(mislabelled)).message).toMatch(
      /lacks "ferry_version"|lacks "created_at"/,
    );
  });
});

describe('Markdown escaping', () => {
  const markdown = renderPlanMarkdown(createFixturePlan());
  const lines = markdown.split('\n');

  it('a hostile object key cannot open HTML, start a heading or split a table row', () => {
    // The tag appears only inside the code span of the row below, where it is shown, not read.
    expect(lines.filter((l) => /<img/i.test(l))).toHaveLength(1);
    expect(lines.some((l) => l.startsWith('# '))).toBe(false);
    const row = lines.find((l) => l.includes('onerror'));
    // One table row of exactly two cells: the key (a code span, its pipe escaped) and the size.
    expect(row).toBe('| ``in/a`\\|<img src=x onerror=alert(1)>␤# h.csv`` | 10 B |');
    expect(HOSTILE_KEY).toContain('\n');
  });

  it('the same key in a terminal stays on its line, control characters shown, not obeyed', () => {
    const plan = createFixturePlan();
    const first = plan.pipelines[0]?.selection.selected[0];
    if (first) first.key = 'in/\u001b[2Jclear\u0007.csv';
    const text = renderPlanText(plan, { verb: 'Plan' });
    expect(text).toContain('    + in/a`|<img src=x onerror=alert(1)>␤# h.csv  10 B\n');
    expect(text).toContain('in/\\x1b[2Jclear\\x07.csv');
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/); // eslint-disable-line no-control-regex
  });

  it('messages and descriptions are text: no HTML, links, emphasis or mentions', () => {
    expect(markdown).toContain('Vendor accounts &lt;daily&gt; &amp; more');
    expect(markdown).toContain('Could not convert "ten" to INTEGER \\| &lt;b&gt;');
    expect(markdown).toContain('s3://vendor-in/\\*secret\\*/ \\[see\\](http://x)');
    expect(markdown).toContain('@\u200bhere');
    expect(markdown).not.toContain('@here');
  });
});
