/**
 * The Terraform-style summary line, with ferry's meaning of each word:
 *   to add     — output objects to write, plus dataset rows to create
 *   to change  — dataset rows to update
 *   to destroy — dataset rows to delete (mirror), plus removed rows published as tombstones
 * Configuration changes since the last apply are counted separately (`configChanged`).
 */
import type { Plan } from '../plan/plan-model.js';

export interface PlanSummary {
  add: number;
  change: number;
  destroy: number;
  errors: number;
  /** Pipelines whose configuration changed since their last apply. */
  configChanged: number;
  hasChanges: boolean;
}

export function summarizePlan(plan: Plan): PlanSummary {
  let add = 0;
  let change = 0;
  let destroy = 0;
  let errors = 0;
  let configChanged = 0;
  for (const p of plan.pipelines) {
    add += p.outputs.length + (p.dataset?.created ?? 0);
    change += p.dataset?.updated ?? 0;
    destroy += p.dataset?.deleted ?? 0;
    if (p.steps.some((s) => s.kind === 'diff' && s.tombstones !== null)) destroy += p.counts.rowsRemoved;
    if (p.configChanges.length > 0) configChanged += 1;
    if (p.status === 'error') errors += 1;
  }
  return {
    add,
    change,
    destroy,
    errors,
    configChanged,
    hasChanges: plan.pipelines.some((p) => p.status === 'changes'),
  };
}

export function renderSummaryLine(summary: PlanSummary, verb: 'Plan' | 'Apply complete'): string {
  const core = `${summary.add} to add, ${summary.change} to change, ${summary.destroy} to destroy`;
  if (verb !== 'Plan' && summary.errors > 0) {
    return `Apply failed for ${summary.errors} pipeline${summary.errors === 1 ? '' : 's'}. Done elsewhere: ${summary.add} added, ${summary.change} changed, ${summary.destroy} destroyed.`;
  }
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
