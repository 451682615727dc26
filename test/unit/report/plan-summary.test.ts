import { describe, expect, it } from 'vitest';
import type { PipelinePlan, Plan } from '../../../engine/plan/plan-model.js';
import { renderSummaryLine, summarizePlan } from '../../../engine/report/plan-summary.js';
import { createFixturePlan } from './plan-fixture.js';

/** The fixture's first pipeline (changes, rows counted) failed after it counted its rows. */
function planWithFailedPipeline(): { plan: Plan; failed: PipelinePlan } {
  const plan = createFixturePlan();
  const failed = structuredClone(plan.pipelines[0] as PipelinePlan);
  failed.pipeline = 'failed-late';
  failed.status = 'error';
  failed.error = { code: 'MAPPING_COMPUTE_FAILED', message: 'Compute failed.', hint: 'Fix it.' };
  failed.counts = { ...failed.counts, rowsAdded: 400_000, rowsWritten: 400_000, rowsChanged: 7 };
  return { plan: { ...plan, pipelines: [...plan.pipelines, failed] }, failed };
}

describe('the summary line', () => {
  it('counts nothing a failed pipeline read: it writes nothing', () => {
    const { plan } = planWithFailedPipeline();
    const without = summarizePlan(createFixturePlan());
    const summary = summarizePlan(plan);
    expect(summary.errors).toBe(without.errors + 1);
    expect(summary.rowsToAdd).toBe(without.rowsToAdd);
    expect(summary.rowsToChange).toBe(without.rowsToChange);
    expect(summary.rowsToDelete).toBe(without.rowsToDelete);
    expect(summary.objectsToWrite).toBe(without.objectsToWrite);
    expect(renderSummaryLine(summary, 'Apply complete')).not.toContain('400');
  });

  it('a plan whose only pipeline failed has nothing to add', () => {
    const { failed } = planWithFailedPipeline();
    const plan = { ...createFixturePlan(), pipelines: [failed] };
    const summary = summarizePlan(plan);
    expect(summary).toMatchObject({ rowsToAdd: 0, rowsToChange: 0, rowsToDelete: 0, objectsToWrite: 0 });
    expect(renderSummaryLine(summary, 'Plan')).toBe(
      'Plan: 0 objects to write; rows: 0 to add, 0 to change, 0 to delete.',
    );
  });
});
