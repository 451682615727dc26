/**
 * The previous run of a pipeline as the service needs it for catch-up and completion anchors: the
 * last successful apply, from its run in state or, when it changed nothing and so committed nothing,
 * from last-run.json, whichever is newer. Failed runs leave state untouched and write no last run, so
 * a failure before a restart is caught up.
 */
import { openStateStore } from '../run/open-state-store.js';
import type { PreviousRun } from '../schedule/plan-due-runs.js';
import type { ServeConfig } from './run-one.js';

export async function readPreviousRun(
  pipeline: string,
  config: ServeConfig,
): Promise<PreviousRun | undefined> {
  const store = openStateStore(config.project);
  const [committed, last] = await Promise.all([
    store.readPipelineState(pipeline).then((read) => read.state.lastSuccessfulRun),
    store.readLastRun(pipeline),
  ]);
  const runs = [committed, last]
    .filter((run) => run !== undefined)
    .map((run) => ({ startedAt: new Date(run.startedAt), finishedAt: new Date(run.finishedAt) }))
    .filter((run) => !Number.isNaN(run.startedAt.getTime()) && !Number.isNaN(run.finishedAt.getTime()));
  return runs.sort((a, b) => b.finishedAt.getTime() - a.finishedAt.getTime())[0];
}
