/**
 * Which connection `ferry discover` lists with: a project's (`--connection NAME`, or its only one),
 * or — on a fresh machine without ferry.yaml — one drafted from flags and the environment: the AWS
 * credential chain for AWS, or keys in environment variables for a custom endpoint. The draft goes
 * through the configuration checks like a file on disk (no credentials in URLs, no metadata
 * addresses, no AWS chain to a custom endpoint) and is printed for the user to keep.
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Connection, Pipeline, Project } from '../config/model.js';
import { checkGeneratedProject } from '../discover/check-generated-config.js';
import { renderConnectionLines, renderConnectionProject } from '../discover/render-connection-yaml.js';
import { schemaReference } from '../discover/yaml-text.js';
import { hasErrors } from '../errors/problem.js';
import { renderProblemsText } from '../report/render-problems.js';
import { UsageError, type CommandContext } from './command.js';
import { CONNECTION_DRAFT_FLAGS, connectionDraftFromFlags } from './connection-draft.js';
import { createGeneratedConfigResolver } from './generated-config-resolver.js';
import { loadValidProject } from './load-valid-project.js';

export interface DiscoverConnection {
  connection: Connection;
  project: Project;
  /** The project's pipelines (none for a drafted connection). */
  pipelines: Pipeline[];
  /** The project's directory, or the working directory for a drafted connection. */
  directory: string;
  /** Set when the connection was drafted: its ferry.yaml block, to print. */
  draftLines?: string[];
  /** A project file exists. */
  hasProject: boolean;
}

function draftName(context: CommandContext, bucket: string): string {
  const value = context.values['connection'];
  if (typeof value === 'string') return value;
  const fromBucket = bucket
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63);
  return fromBucket || 'main';
}

function fromProject(context: CommandContext, projectPath: string): DiscoverConnection | undefined {
  const { values } = context;
  if (CONNECTION_DRAFT_FLAGS.some((name) => values[name] !== undefined)) {
    throw new UsageError(
      `${projectPath} defines the connections here: add one for this endpoint there and pass --connection NAME (--endpoint, --region and the key flags are for a directory without ferry.yaml).`,
    );
  }
  const loaded = loadValidProject(context);
  if (!loaded) return undefined;
  const project = loaded.project;
  const names = Object.keys(project.connections);
  const wanted =
    typeof values['connection'] === 'string'
      ? values['connection']
      : names.length === 1
        ? names[0]
        : undefined;
  const connection = wanted === undefined ? undefined : project.connections[wanted];
  if (!connection) {
    throw new UsageError(
      wanted === undefined
        ? `Pass --connection NAME; ${projectPath} defines ${names.length ? names.join(', ') : 'no connection'}.`
        : `No connection named "${wanted}" in ${projectPath}; connections: ${names.join(', ') || '(none)'}.`,
    );
  }
  return { connection, project, pipelines: loaded.pipelines, directory: project.directory, hasProject: true };
}

/** The connection to list with, or undefined after printing configuration problems (exit 3). */
export function chooseDiscoverConnection(
  context: CommandContext,
  bucket: string,
): DiscoverConnection | undefined {
  const projectPath = String(context.values['project']);
  if (existsSync(resolve(context.cwd, projectPath))) return fromProject(context, projectPath);
  const draft = connectionDraftFromFlags(context, { name: draftName(context, bucket), staticKeys: false });
  const file = '(connection drafted from the flags)';
  const text = renderConnectionProject(draft, { schemaPath: schemaReference(context.cwd, 'ferry') });
  const checked = checkGeneratedProject(text, {
    file,
    directory: dirname(resolve(context.cwd, projectPath)),
    resolve: createGeneratedConfigResolver(context.env, dirname(resolve(context.cwd, projectPath))),
  });
  const connection = checked.project?.connections[draft.name];
  if (hasErrors(checked.problems) || !checked.project || !connection) {
    context.output.stderr(
      renderProblemsText(checked.problems, { sources: new Map([[file, text]]), color: context.output.color }),
    );
    return undefined;
  }
  return {
    connection,
    project: checked.project,
    pipelines: [],
    directory: context.cwd,
    draftLines: renderConnectionLines(draft),
    hasProject: false,
  };
}
