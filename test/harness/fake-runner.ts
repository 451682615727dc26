/**
 * A stand-in for the real pipeline runner in scheduler and service tests: every call waits until the
 * test finishes it, so a test decides exactly when a run ends and with what outcome.
 */
import type { Pipeline, Project } from '../../engine/config/model.js';
import { normalizePipeline } from '../../engine/config/normalize-pipeline.js';
import type { Pipeline as PipelineSpec } from '../../engine/config/pipeline-spec.gen.js';
import type { RunOne, RunOutcome, ServeConfig } from '../../engine/serve/run-one.js';

export interface FakeCall {
  pipeline: string;
  signal: AbortSignal;
  config: ServeConfig;
  /** The fake clock's time when the run started. */
  startedAt: string;
  done: boolean;
  finish(outcome?: Partial<RunOutcome>): void;
}

export function createFakeRunner(now: () => Date): {
  runOne: RunOne;
  calls: FakeCall[];
  open: () => FakeCall[];
} {
  const calls: FakeCall[] = [];
  const runOne: RunOne = (pipeline, { signal, config }) =>
    new Promise<RunOutcome>((resolve) => {
      const call: FakeCall = {
        pipeline,
        signal,
        config,
        startedAt: now().toISOString(),
        done: false,
        finish: (outcome = {}) => {
          call.done = true;
          resolve({
            status: 'succeeded',
            recordId: `record-${calls.indexOf(call) + 1}`,
            counts: { rowsRead: 10, rowsWritten: 9, rowsRejected: 1 },
            bytesRead: 100,
            bytesWritten: 90,
            warnings: [],
            ...outcome,
          });
        },
      };
      calls.push(call);
    });
  return { runOne, calls, open: () => calls.filter((c) => !c.done) };
}

/** A normalized pipeline for tests: an s3 → s3 copy, or a dataset reader/writer. */
export function testPipeline(
  name: string,
  schedule: PipelineSpec['schedule'] | undefined,
  options: { reads?: string; writes?: string; enabled?: boolean } = {},
): Pipeline {
  const spec: PipelineSpec = {
    name,
    ...(options.enabled === false ? { enabled: false } : {}),
    source: options.reads
      ? { kind: 'dataset', dataset: options.reads }
      : { kind: 's3', connection: 's3', bucket: 'in', prefix: `${name}/`, format: { kind: 'csv' } },
    sink: options.writes
      ? { kind: 'dataset', dataset: options.writes, mode: 'upsert' }
      : { kind: 's3', connection: 's3', bucket: 'out', format: 'csv' },
    ...(schedule ? { schedule } : {}),
  };
  return normalizePipeline(spec, { file: `pipelines/${name}.yaml`, project: undefined, pointer: '' });
}

export function testConfig(pipelines: Pipeline[], revision = 'rev-1'): ServeConfig {
  const project = {
    directory: '/nowhere',
    file: 'ferry.yaml',
    connections: {},
    state: { kind: 'local', directory: '/nowhere/state' },
    datasets: {},
    segments: {},
    defaults: { timezone: 'UTC', csv: {}, csvPolicy: {} },
    pipelineGlobs: ['pipelines/*.yaml'],
  } as unknown as Project;
  return { project, pipelines, revision, loadedAt: new Date('2026-01-01T00:00:00Z') };
}
