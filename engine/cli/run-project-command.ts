/** Shared body of `plan` and `apply`: load and validate, run, render, choose the exit code. */
import { loadValidProject } from './load-valid-project.js';
import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ExitCode } from '../errors/exit-codes.js';
import { FerryError } from '../errors/ferry-error.js';
import { QUARANTINE_CODES } from '../errors/quarantine-codes.js';
import { GUARD_NAMES } from '../config/normalize-guards.js';
import { PLAN_FORMAT_VERSION, type Plan } from '../plan/plan-model.js';
import { problemsOfPlan } from '../report/render-outcome-json.js';
import { parsePlanJson } from '../report/parse-plan-json.js';
import { summarizePlan } from '../report/plan-summary.js';
import { renderPlanJson } from '../report/render-plan-json.js';
import { runProject } from '../run/run-project.js';
import { graphsAgainstState, readAppliedConfigs } from '../run/read-config-base.js';
import type { RunEvent } from '../run/run-events.js';
import { parseDuration } from '../config/parse-duration.js';
import type { LockWait } from '../state/state-lock.js';
import { UsageError, type CommandContext, type OptionSpec } from './command.js';
import type { Output } from './output.js';
import { PLAN_OUTPUT_OPTIONS, renderPlanOutput } from './render-plan-output.js';

/** Options `plan` and `apply` share. */
export const RUN_OPTIONS: Record<string, OptionSpec> = {
  project: { type: 'string', short: 'p', description: 'Project file.', default: 'ferry.yaml' },
  pipeline: { type: 'string', multiple: true, description: 'Only this pipeline (repeatable).' },
  ...PLAN_OUTPUT_OPTIONS,
  allow: {
    type: 'string',
    multiple: true,
    description: `Let this guard through when it trips (repeatable; one of ${GUARD_NAMES.join(', ')}). plan --out records it in the saved plan. See docs/guards.md.`,
  },
  quiet: {
    type: 'boolean',
    short: 'q',
    description: 'No progress on stderr (there is none off a terminal or in CI).',
  },
};

export async function runProjectCommand(context: CommandContext, mode: 'plan' | 'apply'): Promise<ExitCode> {
  const { values, cwd, env, output, signal } = context;
  const format = String(values['format']);
  const loaded = loadValidProject(
    context,
    format === 'json' ? { command: mode, formatVersion: PLAN_FORMAT_VERSION } : undefined,
  );
  if (!loaded) return ExitCode.invalidConfig;
  const only = (values['pipeline'] as string[] | undefined) ?? [];
  const unknown = only.filter((name) => !loaded.pipelines.some((p) => p.name === name));
  if (unknown.length) {
    throw new UsageError(
      `no pipeline named ${unknown.map((n) => `"${n}"`).join(', ')}; the project has ${loaded.pipelines.map((p) => p.name).join(', ') || 'none'}.`,
    );
  }
  const allow = allowedGuardNames(values['allow']);
  const savedPlan =
    mode === 'apply' && typeof values['plan'] === 'string'
      ? await readSavedPlan(cwd, values['plan'])
      : undefined;
  const onEvent = mode === 'apply' ? await progressLogger(values, output) : undefined;
  const lock = mode === 'apply' ? lockWaitOptions(values['lock-timeout'], output) : undefined;
  const plan = await runProject({
    project: loaded.project,
    pipelines: loaded.pipelines,
    mode,
    env,
    only,
    ...(allow.size ? { allow } : {}),
    ...(savedPlan ? { savedPlan } : {}),
    ...(signal ? { signal } : {}),
    ...(onEvent ? { onEvent } : {}),
    ...(lock ? { pipelineOptions: { lock } } : {}),
  });
  if (mode === 'plan' && typeof values['out'] === 'string') {
    await writeFile(resolve(cwd, values['out']), renderPlanJson(plan));
  }
  const exitCode = planExitCode(plan, mode, { detailed: values['detailed-exitcode'] === true, signal });
  // The Markdown plan shows the graph when the change alters it (against what state says was applied).
  const graph =
    mode === 'plan' && format === 'markdown'
      ? graphsAgainstState(loaded.project, loaded.pipelines, await readAppliedConfigs(loaded.project, env))
      : undefined;
  output.stdout(
    renderPlanOutput(plan, {
      format,
      verb: mode === 'plan' ? 'Plan' : 'Apply complete',
      color: output.color,
      showSql: values['show-sql'] === true,
      verbose: values['verbose'] === true,
      outcome: { command: mode, exitCode, problems: problemsOfPlan(plan) },
      graph,
    }),
  );
  return exitCode;
}

/** 130/143 stopped, 5 stale plan, 4 only held locks, 1 failures, 2 changes (--detailed-exitcode), 0. */
function planExitCode(
  plan: Plan,
  mode: 'plan' | 'apply',
  options: { detailed: boolean; signal: AbortSignal | undefined },
): ExitCode {
  const { signal } = options;
  const summary = summarizePlan(plan);
  if (signal?.aborted) return signal.reason === 'SIGINT' ? ExitCode.interrupted : ExitCode.terminated;
  if (plan.pipelines.some((p) => p.error?.code === 'PLAN_STALE')) return ExitCode.stalePlan;
  if (summary.errors > 0) {
    // Data refused (a guard, a fail-level check, breaking schema drift): exit 6 when that is every error.
    const refused = plan.pipelines.filter((p) => p.error && REFUSED_CODES.has(p.error.code)).length;
    if (refused > 0 && refused === summary.errors) return ExitCode.refused;
    const lockHeld = plan.pipelines.filter((p) => p.error?.code === 'LOCK_HELD').length;
    return lockHeld === summary.errors ? ExitCode.lockHeld : ExitCode.failure;
  }
  if (mode === 'plan' && options.detailed && summary.hasChanges) return ExitCode.changes;
  return ExitCode.ok;
}

/** Error codes that mean "the data was refused" (exit code 6), not a failure of ferry or the endpoint. */
const REFUSED_CODES: ReadonlySet<string> = new Set([
  ...QUARANTINE_CODES,
  'CHECK_FAILED',
  'SCHEMA_DRIFT',
  'SCHEMA_REQUIRED_COLUMN_MISSING',
]);

/** `--allow NAME…`: guard names only (a blanket allowance does not exist). */
function allowedGuardNames(value: unknown): Set<string> {
  const names = Array.isArray(value) ? value.map(String) : [];
  const unknown = names.filter((n) => !(GUARD_NAMES as readonly string[]).includes(n));
  if (unknown.length) {
    throw new UsageError(
      `--allow takes a guard name: ${GUARD_NAMES.join(', ')} (got ${unknown.map((n) => `"${n}"`).join(', ')}).`,
    );
  }
  return new Set(names);
}

/**
 * apply's progress: each run and step as it ends, on stderr (stdout keeps the report). By default
 * only for a person at a terminal (not in CI, not with --quiet); --log-format text|json asks for it.
 */
async function progressLogger(
  values: CommandContext['values'],
  output: Output,
): Promise<((event: RunEvent) => void) | undefined> {
  const asked = values['log-format'];
  const format =
    asked === undefined ? (output.progress === true && values['quiet'] !== true ? 'text' : 'none') : asked;
  if (format !== 'text' && format !== 'json') return undefined;
  // Loaded only when there is progress to log: plan never logs, and pino is a large module.
  const { createLogger } = await import('../log/create-logger.js');
  const { logRunEvent } = await import('../log/log-run-event.js');
  const logger = createLogger({
    format,
    write: (line) => output.stderr(line),
    color: output.stderrColor ?? output.color,
  });
  return (event) => logRunEvent(logger, event);
}

/**
 * A plan saved with `ferry plan --out FILE`, named in messages as the user gave it; PLAN_UNREADABLE
 * (with file:line:col where the file goes wrong) when it is not one.
 */
export async function readSavedPlan(cwd: string, file: string): Promise<Plan> {
  let text: string;
  try {
    text = await readFile(resolve(cwd, file), 'utf8');
  } catch (error) {
    throw new FerryError('PLAN_UNREADABLE', `Cannot read the saved plan ${file}.`, {
      cause: error,
      context: { file },
      hint: 'Save one with `ferry plan --out FILE`.',
    });
  }
  return parsePlanJson(text, file);
}

/** `--lock-timeout DURATION`: how long to wait for a held lock; every wait is reported on stderr. */
function lockWaitOptions(
  value: unknown,
  output: Output,
): { waitMs: number; onWait: (wait: LockWait) => void } | undefined {
  if (typeof value !== 'string' || value === '0s') return undefined;
  const waitMs = parseDuration(value);
  if (waitMs === undefined)
    throw new UsageError(`--lock-timeout needs a duration such as 30s or 15m (got "${value}").`);
  return {
    waitMs,
    onWait: (wait) =>
      output.stderr(
        `${wait.label} is locked by ${wait.holder}; waited ${Math.round(wait.waitedMs / 1000)} s, trying again in ${Math.ceil(wait.retryInMs / 1000)} s (--lock-timeout ${value}).\n`,
      ),
  };
}
