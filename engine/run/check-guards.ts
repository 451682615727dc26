/**
 * The guard check of a run, between its read-only steps and its first write: every limit is
 * measured into the plan; in apply a tripped limit the run was not told to allow stops the run with
 * GUARD_TRIPPED before anything is written (exit code 6; the source files are then quarantined).
 */
import type { GuardName } from '../config/model.js';
import { FerryError } from '../errors/ferry-error.js';
import { describeGuard, evaluateGuards } from '../plan/evaluate-guards.js';
import type { StepContext } from '../steps/step-context.js';
import type { PreparedRun } from './prepare-pipeline-run.js';
import type { RunPipelineOptions } from './run-pipeline-options.js';

export function checkGuards(options: RunPipelineOptions, prepared: PreparedRun, context: StepContext): void {
  const { pipeline, mode } = options;
  const { plan } = prepared;
  const state = prepared.commit.read.state;
  const previous = [...state.history].reverse().find((r) => r.counts.rowsRead > 0);
  const results = evaluateGuards(pipeline, {
    counts: context.counts,
    dataset: prepared.datasets?.effect,
    snapshotRows: pipeline.diff ? state.snapshot?.rows : undefined,
    previousRowsRead: previous?.counts.rowsRead,
    allow: allowedGuards(options),
  });
  if (results.length) plan.guards = results;
  const refused = results.filter((r) => r.tripped && !r.allowed);
  const [first] = refused;
  if (mode !== 'apply' || !first) return;
  const source = pipeline.source;
  const files = prepared.selection.selected.map((c) => c.key);
  const bucket = source.kind === 's3' ? source.bucket : undefined;
  const where = files.length
    ? ` reading ${files
        .slice(0, 3)
        .map((key) => `s3://${bucket ?? ''}/${key}`)
        .join(', ')}${files.length > 3 ? ', …' : ''}`
    : '';
  const names = refused.map((r) => r.guard);
  throw new FerryError(
    'GUARD_TRIPPED',
    `Pipeline "${pipeline.name}" stopped by guard ${refused.map(describeGuard).join('; ')}${where}. Nothing was written.`,
    {
      context: {
        pipeline: pipeline.name,
        guard: first.guard,
        count: first.count,
        limit: first.limit,
        ...(bucket !== undefined ? { bucket } : {}),
        ...(files[0] !== undefined ? { key: files[0] } : {}),
        ...(ownGuard(options, first.guard) ? { config: `/guards/${first.guard}` } : {}),
      },
      hint: `Review the change (\`ferry plan\`). If it is intended, run \`ferry apply ${names.map((n) => `--allow ${n}`).join(' ')}\`, or apply a plan saved with \`ferry plan ${names.map((n) => `--allow ${n}`).join(' ')} --out FILE\`. The file stays quarantined until then, until it is replaced, or until \`ferry state release ${pipeline.name} KEY\`.`,
    },
  );
}

/** `--allow` names, and what a saved plan allowed: only guards it showed tripped and allowed. */
export function allowedGuards(options: Pick<RunPipelineOptions, 'allow' | 'savedPlan'>): Set<string> {
  const fromPlan = (options.savedPlan?.guards ?? [])
    .filter((g) => g.tripped && g.allowed)
    .map((g) => g.guard);
  return new Set([...(options.allow ?? []), ...fromPlan]);
}

/** Whether the limit is the pipeline's own setting (its file:line:col is shown), not a default. */
function ownGuard(options: RunPipelineOptions, guard: GuardName): boolean {
  const limit = options.pipeline.guards?.[guard];
  return limit !== undefined && limit !== options.project.defaults.guards?.[guard];
}
