/**
 * A project graph (plan/compile-graph.ts) as a Mermaid flowchart, which GitHub renders inside a
 * ```mermaid block in Markdown (READMEs, pull-request comments). Left to right: source buckets,
 * pipelines, datasets and segments, export pipelines, sink buckets. Mermaid ids are derived from the
 * semantic ids (stable across runs, so a diff of the text shows what changed); labels are escaped
 * with Mermaid's entity codes, so names with quotes or brackets cannot break the chart.
 */
import {
  diffGraph,
  graphChanged,
  type GraphChanges,
  type GraphEdge,
  type GraphNode,
  type ProjectGraph,
} from '../plan/compile-graph.js';
import { markdownCode } from './markdown-parts.js';

export interface RenderGraphOptions {
  /** Marks what a change added (class `added`) and lists what it removed in a comment line. */
  changes?: GraphChanges;
}

const ID_PREFIX: Record<GraphNode['kind'], string> = {
  connection: 'c',
  bucket: 'b',
  pipeline: 'p',
  dataset: 'd',
  segment: 's',
};

const ARROWS: Record<GraphEdge['kind'], string> = {
  reads: '-->',
  writes: '-->',
  filters: '-->',
  relates: '-.->',
  rejects: '-.->',
};

const CLASS_DEFS = [
  'classDef bucket fill:#e8f1fb,stroke:#4a78b0',
  'classDef pipeline fill:#fff,stroke:#333',
  'classDef dataset fill:#eaf6ea,stroke:#4a8a4a',
  'classDef segment fill:#fdf3e1,stroke:#b7862b',
  'classDef connection fill:#f4f4f4,stroke:#999,stroke-dasharray:3 3',
  'classDef disabled fill:#f4f4f4,stroke:#999,stroke-dasharray:5 5,color:#777',
  'classDef added stroke:#2da44e,stroke-width:3px',
];

/** Mermaid's entity codes for the characters that end or confuse a quoted label. */
export function escapeMermaidLabel(text: string): string {
  return text
    .replace(/#/g, '#35;')
    .replace(/"/g, '#quot;')
    .replace(/</g, '#lt;')
    .replace(/>/g, '#gt;')
    .replace(/\|/g, '#124;')
    .replace(/[\r\n]+/g, ' ');
}

function mermaidIds(nodes: readonly GraphNode[]): Map<string, string> {
  const ids = new Map<string, string>();
  const taken = new Set<string>();
  for (const node of nodes) {
    const name = node.id.slice(node.id.indexOf(':') + 1);
    const base = `${ID_PREFIX[node.kind]}_${name.replace(/[^A-Za-z0-9]+/g, '_')}`;
    let id = base;
    for (let n = 2; taken.has(id); n += 1) id = `${base}_${n}`;
    taken.add(id);
    ids.set(node.id, id);
  }
  return ids;
}

function shape(node: GraphNode): [string, string] {
  switch (node.kind) {
    case 'bucket':
      return ['[(', ')]'];
    case 'dataset':
      return ['[[', ']]'];
    case 'segment':
      return ['{{', '}}'];
    case 'connection':
      return ['([', '])'];
    case 'pipeline':
      return ['[', ']'];
  }
}

function nodeLine(node: GraphNode, id: string): string {
  const [open, close] = shape(node);
  const detail =
    node.kind === 'bucket' && node.detail !== undefined
      ? `connection ${node.detail}`
      : node.kind === 'pipeline' && node.disabled === true
        ? 'disabled'
        : node.detail;
  const label =
    escapeMermaidLabel(node.label) + (detail ? `<br/><small>${escapeMermaidLabel(detail)}</small>` : '');
  return `  ${id}${open}"${label}"${close}`;
}

/** The graph as Mermaid flowchart text (no Markdown fence). */
export function renderGraphMermaid(graph: ProjectGraph, options: RenderGraphOptions = {}): string {
  const ids = mermaidIds(graph.nodes);
  const idOf = (semantic: string): string =>
    ids.get(semantic) ?? `x_${semantic.replace(/[^A-Za-z0-9]+/g, '_')}`;
  const lines = ['flowchart LR'];
  for (const node of graph.nodes) lines.push(nodeLine(node, idOf(node.id)));
  // An edge to a name the configuration does not define (invalid config) still gets a node.
  for (const edge of graph.edges) {
    for (const end of [edge.from, edge.to]) {
      if (ids.has(end)) continue;
      ids.set(end, idOf(end));
      lines.push(`  ${idOf(end)}["${escapeMermaidLabel(end)}"]`);
    }
  }
  for (const edge of graph.edges) {
    const label = edge.label === undefined ? '' : `|"${escapeMermaidLabel(edge.label)}"|`;
    lines.push(`  ${idOf(edge.from)} ${ARROWS[edge.kind]}${label} ${idOf(edge.to)}`);
  }
  lines.push(...CLASS_DEFS.map((d) => `  ${d}`));
  const byClass = new Map<string, string[]>();
  const addClass = (name: string, id: string) => byClass.set(name, [...(byClass.get(name) ?? []), id]);
  for (const node of graph.nodes) {
    addClass(node.kind === 'pipeline' && node.disabled === true ? 'disabled' : node.kind, idOf(node.id));
  }
  for (const added of options.changes?.addedNodes ?? []) if (ids.has(added)) addClass('added', idOf(added));
  for (const [name, members] of byClass) lines.push(`  class ${members.join(',')} ${name}`);
  const removed = options.changes?.removedNodes ?? [];
  if (removed.length) lines.push(`  %% removed: ${removed.join(', ')}`);
  return `${lines.join('\n')}\n`;
}

/** The graph in a ```mermaid fence, for Markdown (README, pull-request comments). */
export function renderGraphMarkdown(graph: ProjectGraph, options: RenderGraphOptions = {}): string {
  return `\`\`\`mermaid\n${renderGraphMermaid(graph, options)}\`\`\`\n`;
}

/** The base and current graphs a plan compares (the configuration at the base, and now). */
export interface GraphComparison {
  before: ProjectGraph;
  after: ProjectGraph;
}

/**
 * The Markdown plan's graph section: the current graph with what the change added marked (and what it
 * removed listed), folded open under a one-line summary; no lines when the graph did not change.
 */
export function renderGraphChangeMarkdown(comparison: GraphComparison | undefined): string[] {
  if (!comparison) return [];
  const changes = diffGraph(comparison.before, comparison.after);
  if (!graphChanged(changes)) return [];
  const counts = [
    [changes.addedNodes.length, 'node(s) added'],
    [changes.removedNodes.length, 'node(s) removed'],
    [changes.addedEdges.length, 'connection(s) added'],
    [changes.removedEdges.length, 'connection(s) removed'],
  ] as const;
  const summary = counts
    .filter(([n]) => n > 0)
    .map(([n, what]) => `${n} ${what}`)
    .join(', ');
  const removed = changes.removedNodes.length
    ? [`Removed: ${changes.removedNodes.map((id) => markdownCode(id)).join(', ')}.`, '']
    : [];
  return [
    '',
    `<details open><summary>Graph changed: ${summary} (added nodes are outlined in green)</summary>`,
    '',
    ...removed,
    renderGraphMarkdown(comparison.after, { changes }).trimEnd(),
    '',
    '</details>',
  ];
}
