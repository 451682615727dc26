/** I5: `apply --plan` proceeds only if the pipeline's config, state and inputs are what the plan saw. */
import { FerryError } from '../errors/ferry-error.js';
import type { PipelinePlan } from '../plan/plan-model.js';

export function checkSavedPlan(
  pipeline: string,
  saved: PipelinePlan['fingerprints'],
  now: PipelinePlan['fingerprints'],
): void {
  const reasons: string[] = [];
  if (saved.config !== now.config) reasons.push('its configuration changed');
  if (saved.state !== now.state) reasons.push('its state changed (another apply ran)');
  if (JSON.stringify(saved.inputs) !== JSON.stringify(now.inputs)) {
    const before = new Set(saved.inputs.map((i) => i.join('|')));
    const after = new Set(now.inputs.map((i) => i.join('|')));
    const added = now.inputs.filter((i) => !before.has(i.join('|'))).map((i) => i[0]);
    const gone = saved.inputs.filter((i) => !after.has(i.join('|'))).map((i) => i[0]);
    reasons.push(
      `its source files changed${added.length ? ` (new or modified: ${added.slice(0, 3).join(', ')}${added.length > 3 ? ', …' : ''})` : ''}${gone.length ? ` (gone or modified: ${gone.slice(0, 3).join(', ')}${gone.length > 3 ? ', …' : ''})` : ''}`,
    );
  }
  if (reasons.length) {
    throw new FerryError(
      'PLAN_STALE',
      `The saved plan for pipeline "${pipeline}" is stale: ${reasons.join('; ')}.`,
      {
        context: { pipeline },
        hint: 'Run `ferry plan --out FILE` again, review it, and apply the new plan.',
      },
    );
  }
}
