/**
 * The plan as versioned JSON, for tools and for `apply --plan FILE`: snake_case keys throughout
 * (`format_version`, `ferry_version`, `created_at`, `run_id`…), the summary line's numbers, and
 * the ferry version that wrote it. parse-plan-json.ts reads it back; schemas/plan.schema.json
 * describes it. On stdout (`--format json`) it carries the outcome envelope too (render-outcome-json.ts).
 */
import { FERRY_VERSION } from '../ferry-version.js';
import type { Plan } from '../plan/plan-model.js';
import { snakeCaseKeys } from './plan-json-keys.js';
import { summarizePlan } from './plan-summary.js';
import { withOutcome, type Outcome } from './render-outcome-json.js';

export function renderPlanJson(plan: Plan, outcome?: Outcome): string {
  const { formatVersion, createdAt, project, pipelines } = plan;
  const document = snakeCaseKeys({
    formatVersion,
    ferryVersion: FERRY_VERSION,
    createdAt,
    project,
    summary: summarizePlan(plan),
    pipelines,
  }) as Record<string, unknown>;
  return JSON.stringify(outcome ? withOutcome(document, outcome) : document, null, 2) + '\n';
}
