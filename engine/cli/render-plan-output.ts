/**
 * A plan in the format asked for on the command line (`--format text|markdown|json`): the one
 * switch `plan`, `apply` and `show` share, so a saved plan shown later reads like the plan did.
 */
import type { Plan } from '../plan/plan-model.js';
import { renderPlanJson } from '../report/render-plan-json.js';
import { renderPlanMarkdown } from '../report/render-plan-markdown.js';
import { renderPlanText } from '../report/render-plan-text.js';
import type { Outcome } from '../report/render-outcome-json.js';

export interface PlanOutputOptions {
  format: string;
  verb: 'Plan' | 'Apply complete';
  color: boolean;
  showSql: boolean;
  verbose: boolean;
  /** JSON: the outcome envelope's keys (ok, exit_code, problems). */
  outcome: Outcome;
}

export function renderPlanOutput(plan: Plan, options: PlanOutputOptions): string {
  if (options.format === 'json') return renderPlanJson(plan, options.outcome);
  if (options.format === 'markdown') return renderPlanMarkdown(plan, { verb: options.verb });
  return renderPlanText(plan, {
    verb: options.verb,
    color: options.color,
    showSql: options.showSql,
    verbose: options.verbose,
  });
}
