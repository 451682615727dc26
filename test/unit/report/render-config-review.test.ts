import { describe, expect, it } from 'vitest';
import { FERRY_VERSION } from '../../../engine/ferry-version.js';
import { reviewConfig } from '../../../engine/plan/review-config.js';
import {
  renderConfigReviewJson,
  renderConfigReviewMarkdown,
  renderConfigReviewText,
  summarizeReview,
} from '../../../engine/report/render-config-review.js';

const review = reviewConfig({
  base: { kind: 'git', ref: 'origin/main' },
  before: {
    project: { datasets: { a: { keepVersions: 5 } } },
    pipelines: new Map<string, unknown>([
      ['kept', { source: { bucket: 'b' } }],
      ['edited', { source: { bucket: 'b', prefix: 'x/' } }],
      ['dropped', { source: { bucket: 'b' } }],
    ]),
  },
  after: {
    project: { datasets: { a: { keepVersions: 3 } } },
    pipelines: new Map<string, unknown>([
      ['kept', { source: { bucket: 'b' } }],
      ['edited', { source: { bucket: 'c', prefix: 'x/' }, diff: true }],
      ['new', { source: { bucket: 'b' } }],
    ]),
  },
});

describe('reviewConfig and its rendering', () => {
  it('classifies pipelines and lists every changed setting', () => {
    expect(review.pipelines.map((p) => [p.pipeline, p.change, p.changes.map((c) => c.path)])).toEqual([
      ['dropped', 'removed', []],
      ['edited', 'changed', ['diff', 'source.bucket']],
      ['kept', 'unchanged', []],
      ['new', 'added', []],
    ]);
    expect(summarizeReview(review)).toEqual({ add: 1, change: 1, remove: 1 });
    expect(review.project).toEqual([
      { path: 'datasets.a.keepVersions', change: 'changed', before: 5, after: 3 },
    ]);
  });

  it('text: only what changed, then the summary', () => {
    expect(renderConfigReviewText(review)).toBe(
      [
        'Offline plan against git ref origin/main: configuration only, no source or state was read from S3.',
        '',
        'ferry.yaml',
        '  - datasets.a.keepVersions: 5',
        '  + datasets.a.keepVersions: 3',
        '',
        'pipeline dropped  removed',
        '',
        'pipeline edited  changed',
        '  + diff: true',
        '  - source.bucket: "b"',
        '  + source.bucket: "c"',
        '',
        'pipeline new  added',
        '',
        '1 pipeline unchanged.',
        'Configuration: 1 pipeline to add, 1 to change, 1 to remove; ferry.yaml: 1 change.',
        '',
      ].join('\n'),
    );
  });

  it('markdown: warns about removed pipelines and stays under its budget, naming what it left out', () => {
    const full = renderConfigReviewMarkdown(review);
    expect(full).toContain('> Removed pipelines stop running; their state and datasets are kept.');
    expect(full).toContain('<details><summary><code>pipeline edited</code></summary>');
    const short = renderConfigReviewMarkdown(review, 700);
    expect(short.length).toBeLessThan(1100);
    expect(short).toContain('**Truncated:**');
    expect(short).toContain('`pipeline edited`');
  });

  it('json: versioned, with the ferry that wrote it', () => {
    const json = JSON.parse(renderConfigReviewJson(review)) as Record<string, unknown>;
    expect(Object.keys(json).slice(0, 3)).toEqual(['format_version', 'ferry_version', 'summary']);
    expect(json['ferry_version']).toBe(FERRY_VERSION);
  });

  it('markdown: a configuration key with backticks and line breaks cannot close the diff block', () => {
    const hostile = reviewConfig({
      base: { kind: 'git', ref: 'main' },
      before: { pipelines: new Map([['p', { mapping: { rename: {} } }]]) },
      after: { pipelines: new Map([['p', { mapping: { rename: { 'a\n```\n<img src=x>': 'b' } } }]]) },
    });
    const markdown = renderConfigReviewMarkdown(hostile);
    expect(markdown).toContain(
      '````diff\n- mapping.rename: {}\n+ mapping.rename.a␤```␤<img src=x>: "b"\n````',
    );
  });
});

describe('a change to what references may read', () => {
  const side = (env: string[]) => ({ project: { references: { env, files: [] } }, pipelines: new Map() });
  const widened = reviewConfig({
    base: { kind: 'git', ref: 'origin/main' },
    before: side(['FERRY_*']),
    after: side(['FERRY_*', 'GITHUB_TOKEN']),
  });

  it('is called out for the reviewer, in Markdown and text', () => {
    expect(widened.project.map((c) => c.path)).toEqual(['references.env']);
    expect(renderConfigReviewMarkdown(widened)).toMatch(/> \[!CAUTION\]\n> .*`references`/);
    expect(renderConfigReviewText(widened)).toMatch(/^Note: .*`references`/m);
    expect(renderConfigReviewMarkdown(review)).not.toContain('[!CAUTION]');
  });
});
