/**
 * `ferry plan --offline [--base REF]`: the configuration review of a change, for pull-request CI
 * that has no credentials. Loads the project (secret fields stay references; nothing connects but
 * the read of S3 state), loads the base — each pipeline's last applied configuration from state, or
 * the project at a git ref — and renders what would change.
 */
import { ExitCode } from '../errors/exit-codes.js';
import {
  CONFIG_REVIEW_FORMAT_VERSION,
  reviewConfig,
  reviewHasChanges,
  type ConfigSide,
  type ReviewBase,
} from '../plan/review-config.js';
import {
  renderConfigReviewJson,
  renderConfigReviewMarkdown,
  renderConfigReviewText,
} from '../report/render-config-review.js';
import { withOutcome } from '../report/render-outcome-json.js';
import {
  configSide,
  graphsAgainstState,
  readAppliedConfigs,
  readConfigAtRef,
} from '../run/read-config-base.js';
import type { Pipeline, Project } from '../config/model.js';
import type { GraphComparison } from '../report/render-graph-mermaid.js';
import { UsageError, type CommandContext } from './command.js';
import { loadValidProject } from './load-valid-project.js';

export async function runConfigReviewCommand(context: CommandContext): Promise<ExitCode> {
  const { values, cwd, env, output } = context;
  for (const flag of ['out', 'show-sql'] as const) {
    if (values[flag] !== undefined && values[flag] !== false) {
      throw new UsageError(`--${flag} needs a full plan; it cannot be combined with --offline or --base.`);
    }
  }
  const format = String(values['format']);
  const loaded = loadValidProject(
    context,
    format === 'json' ? { command: 'plan', formatVersion: CONFIG_REVIEW_FORMAT_VERSION } : undefined,
  );
  if (!loaded) return ExitCode.invalidConfig;
  const project = loaded.project;
  const after = configSide(project, loaded.pipelines);
  const ref = values['base'];
  let base: ReviewBase;
  let before: ConfigSide;
  if (typeof ref === 'string') {
    // A ref is handed to git as an argument: one that looks like an option is refused, not run.
    if (ref === '' || ref.startsWith('-'))
      throw new UsageError(`--base needs a git ref such as origin/main (got "${ref}").`);
    base = { kind: 'git', ref };
    before = await readConfigAtRef({ project, ref, cwd, env, projectFile: String(values['project']) });
  } else {
    base = { kind: 'state' };
    before = await readAppliedConfigs(project, env);
  }
  const review = reviewConfig({ base, before, after });
  const only = (values['pipeline'] as string[] | undefined) ?? [];
  if (only.length) review.pipelines = review.pipelines.filter((p) => only.includes(p.pipeline));

  const exitCode =
    values['detailed-exitcode'] === true && reviewHasChanges(review) ? ExitCode.changes : ExitCode.ok;
  output.stdout(
    format === 'json'
      ? JSON.stringify(
          withOutcome(JSON.parse(renderConfigReviewJson(review)) as Record<string, unknown>, {
            command: 'plan',
            exitCode,
            problems: [],
          }),
          null,
          2,
        ) + '\n'
      : format === 'markdown'
        ? renderConfigReviewMarkdown(review, undefined, graphComparison(before, after, loaded))
        : renderConfigReviewText(review),
  );
  return exitCode;
}

/** The graphs to compare: the project at a git ref has its own; state keeps pipelines only. */
function graphComparison(
  before: ConfigSide,
  after: ConfigSide,
  loaded: { project: Project; pipelines: Pipeline[] },
): GraphComparison | undefined {
  if (before.graph && after.graph) return { before: before.graph, after: after.graph };
  return graphsAgainstState(loaded.project, loaded.pipelines, before);
}
