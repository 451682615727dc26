/**
 * The previous run of a pipeline as the service needs it for catch-up and completion anchors: the
 * last successful run recorded in state (failed runs leave state untouched, so a failure before a
 * restart is caught up).
 */
import { openStateStore } from '../run/open-state-store.js';
import type { PreviousRun } from '../schedule/plan-due-runs.js';
import type { ServeConfig } from './run-one.js';

export async function readPreviousRun(
  pipeline: string,
  config: ServeConfig,
): Promise<PreviousRun | undefined> {
  const last = (await openStateStore(config.project).readPipelineState(pipeline)).state.lastSuccessfulRun;
  if (!last) return undefined;
  const startedAt = new Date(last.startedAt);
  const finishedAt = new Date(last.finishedAt);
  if (Number.isNaN(startedAt.getTime()) || Number.isNaN(finishedAt.getTime())) return undefined;
  return { startedAt, finishedAt };
}
