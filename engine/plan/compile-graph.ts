/**
 * The project as a graph: buckets (per connection) → pipelines → datasets → segments → pipelines →
 * buckets. Pure: the configuration in, nodes and edges out, in a stable order, so two graphs can be
 * compared (`diffGraph`, for a plan that shows the graph when a change alters it) and rendered
 * (report/render-graph-mermaid.ts). Node ids are semantic (`pipeline:accounts`), not Mermaid ids.
 */
import type { Pipeline, Project } from '../config/model.js';

export type GraphNodeKind = 'connection' | 'bucket' | 'pipeline' | 'dataset' | 'segment';

export interface GraphNode {
  /** `bucket:<connection>/<bucket>`, `pipeline:<name>`, `dataset:<name>`, `segment:<name>`, `connection:<name>`. */
  id: string;
  kind: GraphNodeKind;
  label: string;
  /** A second line: the connection of a bucket, the description of a dataset. */
  detail?: string;
  /** A pipeline with `enabled: false`. */
  disabled?: boolean;
}

/** reads: data flows into a pipeline; writes: out of it; filters: dataset → segment; relates: a relation check. */
export type GraphEdgeKind = 'reads' | 'writes' | 'filters' | 'relates' | 'rejects';

export interface GraphEdge {
  from: string;
  to: string;
  kind: GraphEdgeKind;
  label?: string;
}

export interface ProjectGraph {
  nodes: GraphNode[];
  edges: GraphEdge[];
}

export interface GraphChanges {
  addedNodes: string[];
  removedNodes: string[];
  addedEdges: GraphEdge[];
  removedEdges: GraphEdge[];
}

const KIND_ORDER: Record<GraphNodeKind, number> = {
  connection: 0,
  bucket: 1,
  pipeline: 2,
  dataset: 3,
  segment: 4,
};

const bucketId = (connection: string, bucket: string) => `bucket:${connection}/${bucket}`;
const pipelineId = (name: string) => `pipeline:${name}`;
const datasetId = (name: string) => `dataset:${name}`;
const segmentId = (name: string) => `segment:${name}`;

function sinkLabel(pipeline: Pipeline): string | undefined {
  const { sink } = pipeline;
  if (sink.kind === 'dataset') return sink.mode;
  const compress = sink.compress === 'none' ? '' : `, ${sink.compress}`;
  return `${sink.directory || '(bucket root)'} (${sink.format.kind}${compress})`;
}

function sourceEdges(pipeline: Pipeline, id: string): GraphEdge[] {
  const { source } = pipeline;
  if (source.kind === 's3') {
    return [
      {
        from: bucketId(source.connection, source.bucket),
        to: id,
        kind: 'reads',
        label: source.prefix || '(bucket root)',
      },
    ];
  }
  const label = source.sinceLastRun ? 'since last run' : source.where !== undefined ? 'where …' : undefined;
  if (source.segment !== undefined) {
    return [{ from: segmentId(source.segment), to: id, kind: 'reads', ...(label ? { label } : {}) }];
  }
  return source.datasets.map((d) => ({
    from: datasetId(d),
    to: id,
    kind: 'reads',
    ...(label ? { label } : {}),
  }));
}

function sinkEdges(pipeline: Pipeline, id: string): GraphEdge[] {
  const { sink } = pipeline;
  const label = sinkLabel(pipeline);
  const edges: GraphEdge[] = [
    {
      from: id,
      to: sink.kind === 's3' ? bucketId(sink.connection, sink.bucket) : datasetId(sink.dataset),
      kind: 'writes',
      ...(label ? { label } : {}),
    },
  ];
  if (sink.kind === 'dataset' && sink.rejects) {
    edges.push({
      from: id,
      to: bucketId(sink.rejects.connection, sink.rejects.bucket),
      kind: 'rejects',
      label: `rejects: ${sink.rejects.directory || '(bucket root)'}`,
    });
  }
  return edges;
}

function compareEdges(a: GraphEdge, b: GraphEdge): number {
  return edgeKey(a) < edgeKey(b) ? -1 : edgeKey(a) > edgeKey(b) ? 1 : 0;
}

function edgeKey(edge: GraphEdge): string {
  return `${edge.from}\u0000${edge.to}\u0000${edge.kind}\u0000${edge.label ?? ''}`;
}

/** The graph of a project and its pipelines (all of them, disabled ones marked). */
export function compileGraph(project: Project, pipelines: readonly Pipeline[]): ProjectGraph {
  const nodes = new Map<string, GraphNode>();
  const edges: GraphEdge[] = [];
  const usedConnections = new Set<string>();
  const addBucket = (connection: string, bucket: string) => {
    usedConnections.add(connection);
    const id = bucketId(connection, bucket);
    if (!nodes.has(id)) nodes.set(id, { id, kind: 'bucket', label: `s3://${bucket}`, detail: connection });
  };
  for (const dataset of Object.values(project.datasets)) {
    const id = datasetId(dataset.name);
    nodes.set(id, { id, kind: 'dataset', label: dataset.name, detail: dataset.kind });
  }
  for (const segment of Object.values(project.segments)) {
    const id = segmentId(segment.name);
    nodes.set(id, { id, kind: 'segment', label: segment.name });
    edges.push({ from: datasetId(segment.dataset), to: id, kind: 'filters' });
  }
  for (const pipeline of pipelines) {
    const id = pipelineId(pipeline.name);
    nodes.set(id, {
      id,
      kind: 'pipeline',
      label: pipeline.name,
      ...(pipeline.enabled ? {} : { disabled: true }),
    });
    if (pipeline.source.kind === 's3') addBucket(pipeline.source.connection, pipeline.source.bucket);
    if (pipeline.sink.kind === 's3') addBucket(pipeline.sink.connection, pipeline.sink.bucket);
    if (pipeline.sink.kind === 'dataset' && pipeline.sink.rejects) {
      addBucket(pipeline.sink.rejects.connection, pipeline.sink.rejects.bucket);
    }
    edges.push(...sourceEdges(pipeline, id), ...sinkEdges(pipeline, id));
    for (const [column, relation] of Object.entries(pipeline.mapping?.relations ?? {})) {
      edges.push({ from: datasetId(relation.dataset), to: id, kind: 'relates', label: column });
    }
  }
  // A connection no pipeline uses still belongs in the picture (ferry check tests it).
  for (const name of Object.keys(project.connections)) {
    if (usedConnections.has(name)) continue;
    const id = `connection:${name}`;
    nodes.set(id, { id, kind: 'connection', label: name, detail: 'no pipeline uses it' });
  }
  const sortedNodes = [...nodes.values()].sort(
    (a, b) => KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
  const unique = new Map(edges.map((e) => [edgeKey(e), e]));
  return { nodes: sortedNodes, edges: [...unique.values()].sort(compareEdges) };
}

/** What changed between two graphs: nodes by id, edges by endpoints, kind and label. */
export function diffGraph(before: ProjectGraph, after: ProjectGraph): GraphChanges {
  const beforeNodes = new Set(before.nodes.map((n) => n.id));
  const afterNodes = new Set(after.nodes.map((n) => n.id));
  const beforeEdges = new Set(before.edges.map(edgeKey));
  const afterEdges = new Set(after.edges.map(edgeKey));
  return {
    addedNodes: after.nodes.filter((n) => !beforeNodes.has(n.id)).map((n) => n.id),
    removedNodes: before.nodes.filter((n) => !afterNodes.has(n.id)).map((n) => n.id),
    addedEdges: after.edges.filter((e) => !beforeEdges.has(edgeKey(e))),
    removedEdges: before.edges.filter((e) => !afterEdges.has(edgeKey(e))),
  };
}

export function graphChanged(changes: GraphChanges): boolean {
  return (
    changes.addedNodes.length +
      changes.removedNodes.length +
      changes.addedEdges.length +
      changes.removedEdges.length >
    0
  );
}

/** Only the pipelines named, and what they read and write (for `ferry graph --pipeline`). */
export function selectGraph(graph: ProjectGraph, pipelines: readonly string[]): ProjectGraph {
  const wanted = new Set(pipelines.map(pipelineId));
  const edges = graph.edges.filter((e) => wanted.has(e.from) || wanted.has(e.to));
  // Segments a selected pipeline reads also bring the dataset they filter.
  const segments = new Set(edges.filter((e) => e.from.startsWith('segment:')).map((e) => e.from));
  edges.push(...graph.edges.filter((e) => e.kind === 'filters' && segments.has(e.to)));
  const keep = new Set(edges.flatMap((e) => [e.from, e.to]));
  for (const id of wanted) keep.add(id);
  return { nodes: graph.nodes.filter((n) => keep.has(n.id)), edges: edges.sort(compareEdges) };
}
