/**
 * compile-graph + render-graph-mermaid: the example project's diagram is a golden file (a reviewer
 * sees exactly what `ferry graph` prints), and the model's rules are checked on small projects:
 * edges for each source and sink kind, segments, relations, changes between two graphs, escaping.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Pipeline, Project } from '../../../engine/config/model.js';
import { compileGraph, diffGraph, graphChanged, selectGraph } from '../../../engine/plan/compile-graph.js';
import { loadProject } from '../../../engine/project/load-project.js';
import {
  escapeMermaidLabel,
  renderGraphMarkdown,
  renderGraphMermaid,
} from '../../../engine/report/render-graph-mermaid.js';
import { runCliCaptured } from '../../harness/run-cli-captured.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const GOLDEN = fileURLToPath(new URL('../../golden/graph/', import.meta.url));

function expectGolden(name: string, text: string): void {
  if (process.env['UPDATE_GOLDEN'] === '1') {
    mkdirSync(GOLDEN, { recursive: true });
    writeFileSync(GOLDEN + name, text);
    return;
  }
  expect(existsSync(GOLDEN + name), `${name} is missing: run with UPDATE_GOLDEN=1 and review it`).toBe(true);
  expect(text).toBe(readFileSync(GOLDEN + name, 'utf8'));
}

function loadExample(): { project: Project; pipelines: Pipeline[] } {
  const loaded = loadProject({ cwd: ROOT, env: {} });
  if (!loaded.project) throw new Error('the example project does not load');
  return { project: loaded.project, pipelines: loaded.pipelines };
}

describe('ferry graph on the example project', () => {
  it('prints the golden Mermaid diagram', async () => {
    const run = await runCliCaptured(['graph'], { cwd: ROOT, env: {} });
    expect(run.code, run.stderr).toBe(0);
    expectGolden('example.mmd', run.stdout);
  });

  it('wraps it in a mermaid fence with --format markdown', async () => {
    const run = await runCliCaptured(['graph', '--format', 'markdown'], { cwd: ROOT, env: {} });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.startsWith('```mermaid\nflowchart LR\n')).toBe(true);
    expect(run.stdout.endsWith('\n```\n')).toBe(true);
  });

  it('narrows to a pipeline, with the segment and dataset it reads', async () => {
    const run = await runCliCaptured(['graph', '--pipeline', 'lytics-export-audience-csv'], {
      cwd: ROOT,
      env: {},
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('d_accounts --> s_enterprise_accounts');
    expect(run.stdout).toContain('s_enterprise_accounts --> p_lytics_export_audience_csv');
    expect(run.stdout).not.toContain('p_vitally_users');
  });

  it('refuses an unknown pipeline as a usage error', async () => {
    const run = await runCliCaptured(['graph', '--pipeline', 'nope'], { cwd: ROOT, env: {} });
    expect(run.code).toBe(64);
  });
});

describe('compileGraph', () => {
  const { project, pipelines } = loadExample();
  const graph = compileGraph(project, pipelines);

  it('links source buckets, pipelines, datasets, segments and sink buckets', () => {
    const has = (from: string, to: string, kind: string) =>
      graph.edges.some((e) => e.from === from && e.to === to && e.kind === kind);
    expect(has('bucket:demo/vendor-drops', 'pipeline:vitally-accounts', 'reads')).toBe(true);
    expect(has('pipeline:vitally-accounts', 'dataset:accounts', 'writes')).toBe(true);
    expect(has('dataset:accounts', 'segment:enterprise_accounts', 'filters')).toBe(true);
    expect(has('segment:enterprise_accounts', 'pipeline:lytics-export-audience-csv', 'reads')).toBe(true);
    expect(has('pipeline:lytics-export-audience-csv', 'bucket:demo/ferry-exports', 'writes')).toBe(true);
    expect(has('dataset:organizations', 'pipeline:vitally-accounts', 'relates')).toBe(true);
    expect(has('pipeline:vitally-users-update-only', 'bucket:demo/ferry-exports', 'rejects')).toBe(true);
  });

  it('is deterministic and shows an unused connection', () => {
    expect(compileGraph(project, [...pipelines].reverse())).toEqual(graph);
    const withSpare: Project = {
      ...project,
      connections: { ...project.connections, spare: { ...project.connections['demo']!, name: 'spare' } },
    };
    expect(compileGraph(withSpare, pipelines).nodes).toContainEqual(
      expect.objectContaining({ id: 'connection:spare', kind: 'connection' }),
    );
  });

  it('marks disabled pipelines', () => {
    const [first, ...rest] = pipelines;
    const disabled = compileGraph(project, [{ ...first!, enabled: false }, ...rest]);
    const node = disabled.nodes.find((n) => n.id === `pipeline:${first!.name}`);
    expect(node?.disabled).toBe(true);
    expect(renderGraphMermaid(disabled)).toMatch(/class [^\n]*disabled\n/);
  });

  it('diffGraph finds what a change adds and removes', () => {
    const fewer = pipelines.filter((p) => p.name !== 'vitally-tracks');
    const changes = diffGraph(compileGraph(project, fewer), graph);
    expect(graphChanged(changes)).toBe(true);
    expect(changes.addedNodes).toEqual(['pipeline:vitally-tracks']);
    expect(changes.addedEdges.map((e) => `${e.from} ${e.to}`).sort()).toEqual([
      'bucket:demo/vendor-drops pipeline:vitally-tracks',
      'dataset:users pipeline:vitally-tracks',
      'pipeline:vitally-tracks dataset:tracks',
    ]);
    expect(graphChanged(diffGraph(graph, compileGraph(project, pipelines)))).toBe(false);
    const rendered = renderGraphMermaid(graph, { changes });
    expect(rendered).toContain('class p_vitally_tracks added');
    const back = renderGraphMermaid(compileGraph(project, fewer), {
      changes: diffGraph(graph, compileGraph(project, fewer)),
    });
    expect(back).toContain('%% removed: pipeline:vitally-tracks');
  });

  it('selectGraph keeps only what the named pipelines touch', () => {
    const one = selectGraph(graph, ['vitally-accounts']);
    expect(one.nodes.map((n) => n.id).sort()).toEqual([
      'bucket:demo/vendor-drops',
      'dataset:accounts',
      'dataset:organizations',
      'pipeline:vitally-accounts',
    ]);
  });
});

describe('render-graph-mermaid', () => {
  it('escapes characters that would end or confuse a label', () => {
    expect(escapeMermaidLabel('a "b" <c> #d |e')).toBe('a #quot;b#quot; #lt;c#gt; #35;d #124;e');
  });

  it('gives distinct Mermaid ids to names that only differ in punctuation', () => {
    const text = renderGraphMermaid({
      nodes: [
        { id: 'pipeline:a-b', kind: 'pipeline', label: 'a-b' },
        { id: 'pipeline:a_b', kind: 'pipeline', label: 'a_b' },
      ],
      edges: [],
    });
    expect(text).toContain('p_a_b["a-b"]');
    expect(text).toContain('p_a_b_2["a_b"]');
  });

  it('renders an edge whose end the configuration does not define', () => {
    const text = renderGraphMarkdown({
      nodes: [{ id: 'pipeline:p', kind: 'pipeline', label: 'p' }],
      edges: [{ from: 'pipeline:p', to: 'dataset:ghost', kind: 'writes', label: 'upsert' }],
    });
    expect(text).toContain('x_dataset_ghost["dataset:ghost"]');
    expect(text).toContain('p_p -->|"upsert"| x_dataset_ghost');
  });
});
