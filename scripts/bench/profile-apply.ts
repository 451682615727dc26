/**
 * One timed `apply` with its profile: every DuckDB statement and S3 request recorded while it runs,
 * broken down by phase (breakdown.ts). The upsert and export scenarios use it for `--top`.
 */
import type { PipelinePlan } from '../../engine/plan/plan-model.js';
import { breakDown, type Breakdown } from './breakdown.js';
import { measureSide, type Measured } from './measure.js';
import { installS3RequestRecorder } from './record-s3-requests.js';
import { installStatementRecorder } from './record-statements.js';

/** The steps with SQL of a dataset upsert or a file export, in execution order. */
export const APPLY_SQL_STEPS = ['load', 'check-schema', 'map', 'merge-dataset', 'write-files'] as const;

export async function measureProfiledApply(
  apply: () => Promise<PipelinePlan>,
  steps: readonly string[] = APPLY_SQL_STEPS,
): Promise<{ measured: Measured<PipelinePlan>; breakdown: Breakdown }> {
  const recorder = installStatementRecorder();
  const s3Recorder = installS3RequestRecorder();
  try {
    recorder.start();
    s3Recorder.start();
    let start = 0;
    let end = 0;
    const measured = await measureSide(async () => {
      start = performance.now();
      try {
        return await apply();
      } finally {
        end = performance.now();
      }
    });
    const breakdown = breakDown({
      records: recorder.stop(),
      requests: s3Recorder.stop(),
      plan: measured.value,
      start,
      end,
      steps,
    });
    return { measured, breakdown };
  } finally {
    recorder.dispose();
    s3Recorder.dispose();
  }
}
