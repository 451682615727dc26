/**
 * The Terraform-style summary line, with ferry's meaning of each word:
 *   to add     — output objects the run writes
 *   to change  — pipelines whose configuration changed since their last apply (state is updated)
 *   to destroy — removed rows published as tombstones (downstream deletes)
 */
import type { Plan } from '../plan/plan-model.js';

export interface PlanSummary {
  add: number;
  change: number;
  destroy: number;
  errors: number;
  hasChanges: boolean;
}

export function summarizePlan(plan: Plan): PlanSummary {
  let add = 0;
  let change = 0;
  let destroy = 0;
  let errors = 0;
  for (const p of plan.pipelines) {
    add += p.outputs.length;
    if (p.configChanges.length > 0) change += 1;
    if (p.steps.some((s) => s.kind === 'diff' && s.tombstones !== null)) destroy += p.counts.rowsRemoved;
    if (p.status === 'error') errors += 1;
  }
  return { add, change, destroy, errors, hasChanges: plan.pipelines.some((p) => p.status === 'changes') };
}

export function renderSummaryLine(summary: PlanSummary, verb: 'Plan' | 'Apply complete'): string {
  const core = `${summary.add} to add, ${summary.change} to change, ${summary.destroy} to destroy`;
  return verb === 'Plan'
    ? `Plan: ${core}.`
    : `Apply complete! Resources: ${summary.add} added, ${summary.change} changed, ${summary.destroy} destroyed.`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit] ?? 'TB'}`;
}
