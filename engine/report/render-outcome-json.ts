/**
 * The one JSON envelope of every `--format json` outcome (docs/json-output.md): the command's own
 * document (a plan, an apply report, validate's problem list) with `ferry_version`, `command`, `ok`,
 * `exit_code` and `problems` beside its `format_version`; or, when the command could not produce
 * one (invalid configuration, a usage error, a failure before any pipeline ran), the envelope alone.
 * Tools read `ok` and `exit_code` first and never have to parse stderr.
 */
import type { FerryError } from '../errors/ferry-error.js';
import type { Problem } from '../errors/problem.js';
import { FERRY_VERSION } from '../ferry-version.js';
import type { Plan } from '../plan/plan-model.js';

/** A problem in the envelope: a configuration problem as validate reports it, or a runtime failure. */
export interface OutcomeProblem extends Problem {
  /** The pipeline it concerns, for failures of one pipeline's run. */
  pipeline?: string;
  /** Runtime failures: where (bucket, key, file…), as FerryError's context; never a secret. */
  context?: Record<string, unknown>;
  /** file:line:col of the setting that caused a runtime failure, when one did. */
  location?: string;
}

export interface Outcome {
  command: string;
  exitCode: number;
  problems: readonly OutcomeProblem[];
}

/** The command's document with the outcome keys after its format_version. */
export function withOutcome(document: Record<string, unknown>, outcome: Outcome): Record<string, unknown> {
  const { format_version: formatVersion, ferry_version: _ignored, ...rest } = document;
  return {
    format_version: formatVersion,
    ferry_version: FERRY_VERSION,
    command: outcome.command,
    ok: outcome.exitCode === 0 || outcome.exitCode === 2,
    exit_code: outcome.exitCode,
    problems: outcome.problems,
    ...rest,
  };
}

/** The envelope alone: the command produced no document of its own. */
export function renderOutcomeJson(outcome: Outcome & { formatVersion: number }): string {
  return JSON.stringify(withOutcome({ format_version: outcome.formatVersion }, outcome), null, 2) + '\n';
}

/** A runtime failure as an envelope problem. */
export function problemOfError(error: FerryError): OutcomeProblem {
  return {
    code: error.code,
    severity: 'error',
    message: error.message,
    ...(error.hint !== undefined ? { hint: error.hint } : {}),
    ...(Object.keys(error.context).length ? { context: { ...error.context } } : {}),
  };
}

/** The failures of a plan or apply, one problem per failed pipeline. */
export function problemsOfPlan(plan: Plan): OutcomeProblem[] {
  return plan.pipelines.flatMap((p) =>
    p.error
      ? [
          {
            code: p.error.code,
            severity: 'error' as const,
            message: p.error.message,
            pipeline: p.pipeline,
            ...(p.error.hint !== undefined ? { hint: p.error.hint } : {}),
            ...(p.error.location !== undefined ? { location: p.error.location } : {}),
          },
        ]
      : [],
  );
}
