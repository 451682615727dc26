/** The plan as versioned JSON (`format_version`), for tools and for `apply --plan FILE`. */
import type { Plan } from '../plan/plan-model.js';
import { summarizePlan } from './plan-summary.js';

export function renderPlanJson(plan: Plan): string {
  const { formatVersion, ...rest } = plan;
  return (
    JSON.stringify({ format_version: formatVersion, summary: summarizePlan(plan), ...rest }, null, 2) + '\n'
  );
}
