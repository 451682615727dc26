/**
 * How the service runs one pipeline once: behind a small interface, so scheduler tests inject a
 * fake and the real one is exactly `ferry apply --pipeline NAME` (runProject with `only` and a
 * stop signal): same locks, same state commit, same failure records.
 */
import type { Pipeline, Project } from '../config/model.js';
import { runProject } from '../run/run-project.js';
import type { RunEvent } from '../run/run-events.js';
import { describeFailure } from '../run/run-pipeline.js';

/** The configuration the service runs: the last one that loaded without problems. */
export interface ServeConfig {
  project: Project;
  pipelines: Pipeline[];
  /** SHA-256 of the configuration files (paths and bytes), to tell which configuration a run used. */
  revision: string;
  /** The git commit of the project directory, when it is a checkout. */
  gitCommit?: string;
  loadedAt: Date;
}

export interface RunOutcome {
  status: 'succeeded' | 'failed' | 'no-changes';
  /** The id the engine recorded the run under (state/pipelines/<name>/runs/<id>.json); may be empty on early failures. */
  recordId: string;
  counts: Record<string, number>;
  bytesRead: number;
  bytesWritten: number;
  /** SHA-256 of the pipeline's normalized configuration, as the engine fingerprints it. */
  configFingerprint?: string;
  warnings: Array<{ code: string; message: string }>;
  error?: { code: string; message: string; hint?: string; location?: string };
}

export type RunOne = (
  pipeline: string,
  options: {
    signal: AbortSignal;
    config: ServeConfig;
    /** Progress inside the run (each step's duration and rows), for the service's log. */
    onEvent?: (event: RunEvent) => void;
  },
) => Promise<RunOutcome>;

export function createProjectRunner(options: { env: NodeJS.ProcessEnv; tempRoot?: string }): RunOne {
  return async (name, { signal, config, onEvent }) => {
    try {
      const plan = await runProject({
        project: config.project,
        pipelines: config.pipelines,
        mode: 'apply',
        env: options.env,
        only: [name],
        signal,
        ...(onEvent ? { onEvent } : {}),
        ...(options.tempRoot !== undefined ? { tempRoot: options.tempRoot } : {}),
      });
      const result = plan.pipelines.find((p) => p.pipeline === name);
      if (!result) return failedOutcome({ code: 'INTERNAL', message: `No result for pipeline "${name}".` });
      let bytesRead = 0;
      for (const step of result.steps)
        if (step.kind === 'fetch') for (const o of step.objects) bytesRead += o.size;
      return {
        status:
          result.status === 'error' ? 'failed' : result.status === 'changes' ? 'succeeded' : 'no-changes',
        // The attempt's own record (a retry's differs from the run id its outputs carry).
        recordId: result.attemptId ?? result.runId,
        counts: { ...result.counts },
        bytesRead,
        bytesWritten: result.outputs.reduce((sum, o) => sum + o.bytes, 0),
        ...(result.fingerprints.config ? { configFingerprint: result.fingerprints.config } : {}),
        warnings: result.warnings.map((w) => ({ code: w.code, message: w.message })),
        ...(result.error ? { error: result.error } : {}),
      };
    } catch (error) {
      return failedOutcome(describeFailure(error));
    }
  };
}

export function failedOutcome(error: { code: string; message: string; hint?: string }): RunOutcome {
  return { status: 'failed', recordId: '', counts: {}, bytesRead: 0, bytesWritten: 0, warnings: [], error };
}
