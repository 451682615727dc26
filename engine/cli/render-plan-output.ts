/**
 * A plan in the format asked for on the command line (`--format text|markdown|json`): the one
 * switch `plan`, `apply` and `show` share, so a saved plan shown later reads like the plan did.
 */
import type { Plan } from '../plan/plan-model.js';
import type { OptionSpec } from './command.js';
import { renderPlanJson } from '../report/render-plan-json.js';
import { renderPlanMarkdown } from '../report/render-plan-markdown.js';
import { renderPlanText } from '../report/render-plan-text.js';
import type { Outcome } from '../report/render-outcome-json.js';
import type { GraphComparison } from '../report/render-graph-mermaid.js';

/** The options of every command that prints a plan (plan, apply, show). */
export const PLAN_OUTPUT_OPTIONS: Record<string, OptionSpec> = {
  format: {
    type: 'string',
    short: 'f',
    description: 'Output format.',
    choices: ['text', 'markdown', 'json'],
    default: 'text',
  },
  'show-sql': { type: 'boolean', description: 'Print the SQL of every step.' },
  verbose: { type: 'boolean', description: 'List every file (text shows the first 10 per pipeline).' },
};

export interface PlanOutputOptions {
  format: string;
  verb: 'Plan' | 'Apply complete';
  color: boolean;
  showSql: boolean;
  verbose: boolean;
  /** JSON: the outcome envelope's keys (ok, exit_code, problems). */
  outcome: Outcome;
  /** Markdown: the graph at the base configuration and now (shown when it changed). */
  graph?: GraphComparison | undefined;
}

export function renderPlanOutput(plan: Plan, options: PlanOutputOptions): string {
  if (options.format === 'json') return renderPlanJson(plan, options.outcome);
  if (options.format === 'markdown')
    return renderPlanMarkdown(plan, {
      verb: options.verb,
      ...(options.graph ? { graph: options.graph } : {}),
    });
  return renderPlanText(plan, {
    verb: options.verb,
    color: options.color,
    showSql: options.showSql,
    verbose: options.verbose,
  });
}
