/**
 * `ferry discover s3://bucket/prefix`: lists the files there, groups them into families, reads the
 * newest file of each and proposes one pipeline per family — `prefix`, `match` with a `timestamp`
 * group and its `timestamp_format`, `pick` (sequence for prefix_timestamp names), the CSV dialect or
 * JSON layout — as YAML that passes `ferry validate`. The report goes to stderr and the YAML to
 * stdout (so `> pipelines/vendor.yaml` works), or with --write one file per pipeline into the
 * project's pipelines/ folder.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { checkGeneratedPipelines } from '../../discover/check-generated-config.js';
import {
  renderPipelineFile,
  renderPipelinesFile,
  type DiscoveredFamily,
  type DiscoveredPipelineOptions,
} from '../../discover/render-discovered-pipelines.js';
import { schemaReference } from '../../discover/yaml-text.js';
import { ExitCode } from '../../errors/exit-codes.js';
import { hasErrors } from '../../errors/problem.js';
import { loadProject } from '../../project/load-project.js';
import { renderDiscovery } from '../../report/render-discovery.js';
import { renderProblemsText } from '../../report/render-problems.js';
import { discoverPrefix, type DiscoverProgress } from '../../run/discover/discover-prefix.js';
import { UsageError, type CommandContext, type CommandSpec } from '../command.js';
import { createGeneratedConfigResolver } from '../generated-config-resolver.js';
import { CONNECTION_DRAFT_OPTIONS } from '../connection-draft.js';
import { chooseDiscoverConnection, type DiscoverConnection } from '../discover-connection.js';

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export function parseS3Uri(text: string, flag: string): { bucket: string; prefix: string } {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(text);
  if (!match || !BUCKET.test(match[1] ?? '')) {
    throw new UsageError(`${flag} must be s3://BUCKET or s3://BUCKET/PREFIX (got "${text}").`);
  }
  const prefix = match[2] ?? '';
  if (prefix.startsWith('/') || prefix.includes('//'))
    throw new UsageError(`${flag}: the prefix may not start with "/" or hold "//".`);
  return { bucket: match[1] ?? '', prefix };
}

function progress(context: CommandContext): (event: DiscoverProgress) => void {
  return (event) => {
    if (event.kind === 'listed' && event.pages % 10 === 0) {
      context.output.stderr(
        `… listed ${event.objects.toLocaleString('en-US')} objects (${event.pages} pages)\n`,
      );
    }
    if (event.kind === 'reading' && event.index === 0) {
      context.output.stderr(
        `Reading the newest file of ${event.of} famil${event.of === 1 ? 'y' : 'ies'} …\n`,
      );
    }
  };
}

function writeFiles(
  context: CommandContext,
  chosen: DiscoverConnection,
  families: readonly DiscoveredFamily[],
  options: Omit<DiscoveredPipelineOptions, 'schemaPath'>,
): string[] {
  const dir = join(chosen.directory, 'pipelines');
  const files = families.map((f) => ({ path: join(dir, `${f.family.name}.yaml`), family: f }));
  const taken = files.filter((f) => existsSync(f.path)).map((f) => relative(context.cwd, f.path));
  if (taken.length)
    throw new UsageError(`Not overwriting ${taken.join(', ')}: move them away, or leave out --write.`);
  mkdirSync(dir, { recursive: true });
  const schemaPath = schemaReference(dir, 'pipeline');
  for (const file of files)
    writeFileSync(file.path, renderPipelineFile(file.family, { ...options, schemaPath }), { flag: 'wx' });
  return files.map((f) => relative(context.cwd, f.path) || f.path);
}

async function run(context: CommandContext): Promise<ExitCode> {
  const { values, positionals, output } = context;
  if (positionals.length !== 1 || positionals[0] === undefined)
    throw new UsageError('Give one s3://BUCKET/PREFIX to discover.');
  const { bucket, prefix } = parseS3Uri(positionals[0], 'The location');
  const sinkUri = typeof values['sink'] === 'string' ? parseS3Uri(values['sink'], '--sink') : undefined;
  const maxObjects = values['max-objects'] === undefined ? undefined : Number(values['max-objects']);
  if (maxObjects !== undefined && (!Number.isSafeInteger(maxObjects) || maxObjects < 1)) {
    throw new UsageError(
      `--max-objects takes a positive whole number (got "${String(values['max-objects'])}").`,
    );
  }
  const write = values['write'] === true;
  const chosen = chooseDiscoverConnection(context, bucket);
  if (!chosen) return ExitCode.invalidConfig;
  if (write && !chosen.hasProject) {
    throw new UsageError(
      '--write adds files to a project: run `ferry init` first, or leave out --write and redirect the YAML.',
    );
  }
  const result = await discoverPrefix({
    connection: chosen.connection,
    env: context.env,
    projectDir: chosen.directory,
    bucket,
    prefix,
    takenNames: chosen.pipelines.map((p) => p.name),
    onProgress: progress(context),
    ...(maxObjects !== undefined ? { maxObjects } : {}),
    ...(context.signal ? { signal: context.signal } : {}),
  });
  const report = renderDiscovery(result);
  const families = result.discovery.families.map((family) => {
    const sample = result.samples.get(family.name);
    return { family, ...(sample ? { sample } : {}) };
  });
  const options = {
    connection: chosen.connection.name,
    bucket,
    sink: sinkUri
      ? { connection: chosen.connection.name, bucket: sinkUri.bucket, directory: sinkUri.prefix }
      : { connection: chosen.connection.name, bucket, directory: 'ferry-output/' },
    command: `ferry discover s3://${bucket}/${prefix}`,
  };
  if (families.length === 0) {
    output.stderr(report);
    return ExitCode.ok;
  }
  const text = renderPipelinesFile(families, {
    ...options,
    schemaPath: schemaReference(join(chosen.directory, 'pipelines'), 'pipeline'),
  });
  const file = 'pipelines/(discovered).yaml';
  const checked = checkGeneratedPipelines(text, {
    file,
    project: chosen.project,
    existing: chosen.pipelines,
    resolve: createGeneratedConfigResolver(context.env, chosen.directory),
  });
  if (hasErrors(checked.problems)) {
    output.stderr(
      `${report}ferry discover: the proposal does not pass validation — a bug in discover; please report it with these problems:\n` +
        renderProblemsText(checked.problems, { sources: new Map([[file, text]]), color: output.color }) +
        `\n${text}`,
    );
    return ExitCode.internal;
  }
  if (write) {
    const written = writeFiles(context, chosen, families, options);
    // ferry.yaml's `pipelines:` globs decide which files are read: say so if these are not among them.
    const reloaded = loadProject({
      cwd: context.cwd,
      env: context.env,
      projectFile: String(values['project']),
    });
    const unseen = families.filter((f) => !reloaded.pipelines.some((p) => p.name === f.family.name));
    const globs = unseen.length
      ? `Note: ferry.yaml's \`pipelines:\` globs do not take ${unseen.length === families.length ? 'them' : 'all of them'}; add pipelines/*.yaml there.\n`
      : '';
    output.stdout(
      `${report}Wrote ${written.join(', ')}.\n${globs}Next: review them (see the TODO on each sink), then \`ferry validate\` and \`ferry plan\`.\n`,
    );
    return ExitCode.ok;
  }
  const draft = chosen.draftLines
    ? `Connection used (no ferry.yaml here): keep it in ferry.yaml under \`connections:\` — \`ferry init\` writes one:\n\n${chosen.draftLines.map((l) => `  ${l}`).join('\n')}\n\n`
    : '';
  output.stderr(`${report}${draft}`);
  output.stdout(text);
  return ExitCode.ok;
}

export const discoverCommand: CommandSpec = {
  name: 'discover',
  summary: 'List the files under an S3 prefix, group them into families and print starter pipeline YAML.',
  usage:
    'ferry discover s3://BUCKET[/PREFIX] [--connection NAME] [--sink s3://BUCKET/DIR] [--write]\n' +
    '       ferry discover s3://BUCKET[/PREFIX] [--endpoint URL] [--region REGION] [--access-key-env NAME --secret-key-env NAME]',
  description:
    'Lists the prefix, groups the files by name shape (dated CSVs, prefix_timestamp sequences, …), sets\n' +
    'READMEs, backups and markers aside, reads the newest file of each family (DuckDB sniffs delimiter,\n' +
    'header and field types; encoding and compression are checked on the bytes) and prints one pipeline\n' +
    'per family: prefix, match with a timestamp group, timestamp_format, pick, format, and a sink to edit.\n' +
    'The report goes to stderr, the YAML to stdout; --write puts one file per pipeline into pipelines/.\n' +
    'In a project, it lists with one of ferry.yaml\u2019s connections. Without ferry.yaml it drafts one: the AWS\n' +
    'credential chain (profile, SSO, environment) for AWS, or for --endpoint the keys in the environment\n' +
    'variables AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (or the ones you name); it prints that connection\n' +
    'for ferry.yaml. Secrets appear only as ${env:NAME}. Writes nothing to S3.',
  options: {
    project: { type: 'string', short: 'p', description: 'Project file.', default: 'ferry.yaml' },
    connection: {
      type: 'string',
      short: 'c',
      description: 'The project connection to list with (without a project: the name of the drafted one).',
    },
    sink: {
      type: 'string',
      description:
        'Where the proposed pipelines write, s3://BUCKET/DIR (default: s3://<source bucket>/ferry-output/).',
    },
    write: {
      type: 'boolean',
      description: 'Write pipelines/<name>.yaml files into the project instead of printing.',
    },
    ...CONNECTION_DRAFT_OPTIONS,
    'max-objects': { type: 'string', description: 'Stop listing after this many objects (default 100000).' },
  },
  examples: [
    'ferry discover s3://vendor-drops/acme/ --connection vendor > pipelines/acme.yaml',
    'ferry discover s3://vendor-drops/acme/ --write',
    'ferry discover s3://drops/acme/ --endpoint https://minio.example.com --access-key-env MINIO_KEY --secret-key-env MINIO_SECRET',
  ],
  run,
};
