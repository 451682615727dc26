/**
 * The summary line, Terraform-style but with objects and rows apart (they are different things):
 *   objects to write  — output objects this run uploads
 *   objects to delete — objects left by runs that never committed, removed by this one
 *   rows to add       — dataset rows to create, and rows written to outputs
 *   rows to change    — dataset rows to update
 *   rows to delete    — dataset rows deleted (mirror), plus removed rows published as tombstones
 * Configuration changes since the last apply are counted separately (`configChanged`). A failed
 * pipeline counts as an error only: it writes no object and no row.
 */
import type { Plan } from '../plan/plan-model.js';

export interface PlanSummary {
  objectsToWrite: number;
  objectsToDelete: number;
  rowsToAdd: number;
  rowsToChange: number;
  rowsToDelete: number;
  errors: number;
  /** Pipelines whose configuration changed since their last apply. */
  configChanged: number;
  /** Pipelines with `enabled: false`. */
  disabled: number;
  hasChanges: boolean;
}

export function summarizePlan(plan: Plan): PlanSummary {
  const summary: PlanSummary = {
    objectsToWrite: 0,
    objectsToDelete: 0,
    rowsToAdd: 0,
    rowsToChange: 0,
    rowsToDelete: 0,
    errors: 0,
    configChanged: 0,
    disabled: 0,
    hasChanges: plan.pipelines.some((p) => p.status === 'changes'),
  };
  for (const p of plan.pipelines) {
    if (p.configChanges.length > 0) summary.configChanged += 1;
    if (p.status === 'disabled') summary.disabled += 1;
    // A failed pipeline writes nothing and commits nothing: what it read before it failed is not
    // "to add" (its error is counted; its outputs and rows are not).
    if (p.status === 'error') {
      summary.errors += 1;
      continue;
    }
    summary.objectsToWrite += p.outputs.length;
    summary.objectsToDelete += p.orphansDeleted?.length ?? p.orphans?.length ?? 0;
    summary.rowsToAdd += p.dataset
      ? p.dataset.created
      : p.counts.rowsAdded + (p.steps.some((s) => s.kind === 'diff') ? 0 : p.counts.rowsWritten);
    summary.rowsToChange += p.dataset ? p.dataset.updated : p.counts.rowsChanged;
    summary.rowsToDelete += p.dataset?.deleted ?? 0;
    if (p.steps.some((s) => s.kind === 'diff' && s.tombstones !== null))
      summary.rowsToDelete += p.counts.rowsRemoved;
  }
  return summary;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export function renderSummaryLine(summary: PlanSummary, verb: 'Plan' | 'Apply complete'): string {
  const s = summary;
  if (verb === 'Plan') {
    const objects = `${plural(s.objectsToWrite, 'object')} to write${s.objectsToDelete ? `, ${s.objectsToDelete} to delete` : ''}`;
    return `Plan: ${objects}; rows: ${s.rowsToAdd} to add, ${s.rowsToChange} to change, ${s.rowsToDelete} to delete.`;
  }
  const done = `objects: ${s.objectsToWrite} written${s.objectsToDelete ? `, ${s.objectsToDelete} deleted` : ''}; rows: ${s.rowsToAdd} added, ${s.rowsToChange} changed, ${s.rowsToDelete} deleted`;
  if (s.errors > 0) return `Apply failed for ${plural(s.errors, 'pipeline')}. Done elsewhere: ${done}.`;
  return `Apply complete! ${done.charAt(0).toUpperCase()}${done.slice(1)}.`;
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
