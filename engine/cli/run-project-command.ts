/** Shared body of `plan` and `apply`: load and validate, run, render, choose the exit code. */
import { loadValidProject } from './load-valid-project.js';
import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ExitCode } from '../errors/exit-codes.js';
import { FerryError } from '../errors/ferry-error.js';
import type { Plan } from '../plan/plan-model.js';
import { parsePlanJson } from '../report/parse-plan-json.js';
import { summarizePlan } from '../report/plan-summary.js';
import { renderPlanJson } from '../report/render-plan-json.js';
import { runProject } from '../run/run-project.js';
import { createLogger } from '../log/create-logger.js';
import { logRunEvent } from '../log/log-run-event.js';
import type { RunEvent } from '../run/run-events.js';
import { parseDuration } from '../config/parse-duration.js';
import type { LockWait } from '../state/state-lock.js';
import { UsageError, type CommandContext, type OptionSpec } from './command.js';
import type { Output } from './output.js';
import { renderPlanOutput } from './render-plan-output.js';

/** Options `plan` and `apply` share. */
export const RUN_OPTIONS: Record<string, OptionSpec> = {
  project: { type: 'string', short: 'p', description: 'Project file.', default: 'ferry.yaml' },
  pipeline: { type: 'string', multiple: true, description: 'Only this pipeline (repeatable).' },
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

export async function runProjectCommand(context: CommandContext, mode: 'plan' | 'apply'): Promise<ExitCode> {
  const { values, cwd, env, output, signal } = context;
  const loaded = loadValidProject(context);
  if (!loaded) return ExitCode.invalidConfig;
  const only = (values['pipeline'] as string[] | undefined) ?? [];
  const unknown = only.filter((name) => !loaded.pipelines.some((p) => p.name === name));
  if (unknown.length) {
    throw new UsageError(
      `no pipeline named ${unknown.map((n) => `"${n}"`).join(', ')}; the project has ${loaded.pipelines.map((p) => p.name).join(', ') || 'none'}.`,
    );
  }
  const savedPlan =
    mode === 'apply' && typeof values['plan'] === 'string'
      ? await readSavedPlan(cwd, values['plan'])
      : undefined;
  const onEvent = mode === 'apply' ? progressLogger(values['log-format'], output) : undefined;
  const lock = mode === 'apply' ? lockWaitOptions(values['lock-timeout'], output) : undefined;
  const plan = await runProject({
    project: loaded.project,
    pipelines: loaded.pipelines,
    mode,
    env,
    only,
    ...(savedPlan ? { savedPlan } : {}),
    ...(signal ? { signal } : {}),
    ...(onEvent ? { onEvent } : {}),
    ...(lock ? { pipelineOptions: { lock } } : {}),
  });
  if (mode === 'plan' && typeof values['out'] === 'string') {
    await writeFile(resolve(cwd, values['out']), renderPlanJson(plan));
  }
  output.stdout(
    renderPlanOutput(plan, {
      format: String(values['format']),
      verb: mode === 'plan' ? 'Plan' : 'Apply complete',
      color: output.color,
      showSql: values['show-sql'] === true,
      verbose: values['verbose'] === true,
    }),
  );
  const summary = summarizePlan(plan);
  if (signal?.aborted) return signal.reason === 'SIGINT' ? ExitCode.interrupted : ExitCode.terminated;
  if (plan.pipelines.some((p) => p.error?.code === 'PLAN_STALE')) return ExitCode.stalePlan;
  if (summary.errors > 0) {
    const lockHeld = plan.pipelines.some((p) => p.error?.code === 'LOCK_HELD');
    return lockHeld && summary.errors === plan.pipelines.filter((p) => p.error?.code === 'LOCK_HELD').length
      ? ExitCode.lockHeld
      : ExitCode.failure;
  }
  if (mode === 'plan' && values['detailed-exitcode'] === true && summary.hasChanges) return ExitCode.changes;
  return ExitCode.ok;
}

/** apply's progress: each run and step as it ends, on stderr (stdout keeps the report). */
function progressLogger(format: unknown, output: Output): ((event: RunEvent) => void) | undefined {
  if (format !== 'text' && format !== 'json') return undefined;
  const logger = createLogger({ format, write: (line) => output.stderr(line), color: output.color });
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
