/**
 * `ferry plan --offline [--base REF]`: the configuration review of a change, for pull-request CI
 * that has no credentials. Loads the project (secret fields stay references; nothing connects),
 * loads the base — each pipeline's last applied configuration from state, or the project at a git
 * ref — and renders what would change.
 */
import { loadValidProject } from './load-valid-project.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import type { Pipeline } from '../config/model.js';
import { ExitCode } from '../errors/exit-codes.js';
import { FerryError } from '../errors/ferry-error.js';
import { hasErrors } from '../errors/problem.js';
import { readGitTree } from '../io/read-git-tree.js';
import { configSnapshot } from '../plan/diff-config.js';
import {
  projectSnapshot,
  reviewConfig,
  reviewHasChanges,
  type ConfigSide,
  type ReviewBase,
} from '../plan/review-config.js';
import { loadProject } from '../project/load-project.js';
import {
  renderConfigReviewJson,
  renderConfigReviewMarkdown,
  renderConfigReviewText,
} from '../report/render-config-review.js';
import { openStateStore } from '../run/open-state-store.js';
import { UsageError, type CommandContext } from './command.js';

const snapshots = (pipelines: readonly Pipeline[]) =>
  new Map<string, unknown>(pipelines.map((p) => [p.name, configSnapshot(p)]));

export async function runConfigReviewCommand(context: CommandContext): Promise<ExitCode> {
  const { values, cwd, env, output } = context;
  for (const flag of ['out', 'show-sql'] as const) {
    if (values[flag] !== undefined && values[flag] !== false) {
      throw new UsageError(`--${flag} needs a full plan; it cannot be combined with --offline or --base.`);
    }
  }
  const projectFile = String(values['project']);
  const loaded = loadValidProject(context);
  if (!loaded) return ExitCode.invalidConfig;
  const project = loaded.project;
  const after: ConfigSide = { project: projectSnapshot(project), pipelines: snapshots(loaded.pipelines) };
  let before: ConfigSide;
  let base: ReviewBase;
  const ref = values['base'];
  if (typeof ref === 'string') {
    // A ref is handed to git as an argument: one that looks like an option is refused, not run.
    if (ref === '' || ref.startsWith('-'))
      throw new UsageError(`--base needs a git ref such as origin/main (got "${ref}").`);
    base = { kind: 'git', ref };
    const temp = await mkdtemp(join(tmpdir(), 'ferry-base-'));
    try {
      const dir = await readGitTree({ projectDir: project.directory, ref, target: temp });
      const baseLoaded = loadProject({
        cwd: dir,
        env,
        projectFile: relative(project.directory, resolve(cwd, projectFile)),
      });
      if (hasErrors(baseLoaded.problems) || !baseLoaded.project) {
        const first = baseLoaded.problems[0];
        throw new FerryError(
          'BASE_CONFIG_INVALID',
          `The configuration at ${ref} does not load (${baseLoaded.problems.length} problem${baseLoaded.problems.length === 1 ? '' : 's'}${first ? `; first: ${first.at ? `${ref}:${first.at.file}:${first.at.line}:${first.at.col} ` : ''}${first.code} ${first.message}` : ''}).`,
          {
            hint: `Compare against a ref whose configuration is valid, or run \`ferry validate\` on ${ref}.`,
          },
        );
      }
      before = { project: projectSnapshot(baseLoaded.project), pipelines: snapshots(baseLoaded.pipelines) };
    } finally {
      await rm(temp, { recursive: true, force: true });
    }
  } else {
    base = { kind: 'state' };
    const store = openStateStore(project);
    const applied = new Map<string, unknown>();
    for (const name of await store.listPipelinesWithState()) {
      const { state } = await store.readPipelineState(name);
      if (state.appliedConfig !== undefined) applied.set(name, state.appliedConfig);
    }
    before = { pipelines: applied };
  }
  const review = reviewConfig({ base, before, after });
  const only = (values['pipeline'] as string[] | undefined) ?? [];
  if (only.length) review.pipelines = review.pipelines.filter((p) => only.includes(p.pipeline));

  const format = String(values['format']);
  output.stdout(
    format === 'json'
      ? renderConfigReviewJson(review)
      : format === 'markdown'
        ? renderConfigReviewMarkdown(review)
        : renderConfigReviewText(review),
  );
  return values['detailed-exitcode'] === true && reviewHasChanges(review) ? ExitCode.changes : ExitCode.ok;
}
