/**
 * The files `ferry init` writes: ferry.yaml (one connection, keys only as `${env:…}`), pipelines/,
 * a .gitignore that keeps local state out of git, schema modelines so editors complete keys, and
 * the GitHub Actions workflow. `demo: true` wires the connection to the demo S3 server of a ferry
 * checkout (`npm run demo:server`) and adds two pipelines for its sample files. Pure: paths and
 * texts out; the command writes them.
 */
import { renderConnectionLines, type ConnectionDraft } from '../discover/render-connection-yaml.js';
import { indentLines } from '../discover/yaml-text.js';
import { GITHUB_WORKFLOW_PATH, renderGithubWorkflow } from './github-workflow.js';

export interface ProjectFile {
  /** Relative to the project directory, with "/". */
  path: string;
  text: string;
}

export interface ProjectFilesOptions {
  connection: ConnectionDraft;
  /** `$schema` paths as seen from the project directory and from pipelines/. */
  schemas: { ferry: string; pipeline: string };
  demo: boolean;
}

/** The demo server's connection: the endpoint and keys `npm run demo:server` prints. */
export const DEMO_CONNECTION: ConnectionDraft = {
  name: 'demo',
  description: 'The demo S3 server of a ferry checkout (npm run demo:server)',
  region: 'us-east-1',
  endpoint: '${env:FERRY_DEMO_ENDPOINT:-http://127.0.0.1:4568}',
  auth: {
    kind: 'static',
    accessKeyEnv: 'FERRY_DEMO_ACCESS_KEY_ID',
    secretKeyEnv: 'FERRY_DEMO_SECRET_ACCESS_KEY',
  },
};

function ferryYaml(options: ProjectFilesOptions): string {
  return [
    `# yaml-language-server: $schema=${options.schemas.ferry}`,
    '#',
    '# A ferry project: connections and shared settings here, one pipeline per file in pipelines/.',
    '# `ferry check` tests the connections, `ferry discover s3://BUCKET/PREFIX` proposes pipelines for',
    '# the files there, `ferry validate` checks everything, `ferry plan` shows what a run would do and',
    '# `ferry apply` runs it. Secrets are written only as ${env:NAME} or ${file:PATH}.',
    'version: 1',
    '',
    'connections:',
    ...indentLines(renderConnectionLines(options.connection), 2),
    '',
    '# Processed files, cursors and dataset versions (.gitignore keeps them out of git). Where runs',
    '# happen on machines that come and go (CI, containers), state must be shared: state: {kind: s3}.',
    'state:',
    '  kind: local',
    '  directory: state',
    '',
    'defaults:',
    '  # Schedules and filename timestamps use this zone unless a pipeline says otherwise.',
    '  timezone: UTC',
    '',
    '# Pipelines are read from pipelines/*.yaml; list other globs under `pipelines:` to change that.',
    '',
  ].join('\n');
}

const GITIGNORE = [
  "# ferry's local state (processed files, cursors, diff snapshots, dataset versions, run reports)",
  '# belongs to the machine that runs ferry, not to git.',
  '/state/',
  'node_modules/',
  '',
].join('\n');

function demoAccounts(schema: string): string {
  return [
    `# yaml-language-server: $schema=${schema}`,
    '#',
    "# The demo vendor's daily accounts snapshot (acme/accounts/accounts_YYYYMMDD.csv) → the newest one",
    '# as Parquet. Its first day has three broken rows: ferry sets them aside and says which and why.',
    'name: accounts',
    'description: Acme accounts, the newest daily snapshot as Parquet',
    'source:',
    '  kind: s3',
    '  connection: demo',
    '  bucket: vendor-drops',
    '  prefix: acme/accounts/',
    "  match: '^accounts_(?P<timestamp>\\d{8})\\.csv$'",
    '  timestamp_format: YYYYMMDD',
    '  pick: newest',
    '  order: timestamp',
    '  format:',
    '    kind: csv',
    "    delimiter: ','",
    '    header: true',
    '    encoding: utf-8',
    '    max_rejects: 10',
    "# The vendor's headers as column names, MRR as a number and a name required: the rows that break",
    '# these rules (and the ragged one) are set aside, each with its line and reason.',
    'mapping:',
    '  rename:',
    '    Account ID: account_id',
    '    Account Name: name',
    '    MRR: mrr',
    '  cast:',
    '    mrr: DECIMAL(12,2)',
    '  required: [account_id, name]',
    'sink:',
    '  kind: s3',
    '  connection: demo',
    '  bucket: ferry-exports',
    '  directory: my-first-project/accounts/',
    "  filename: 'accounts-{{timestamp}}'",
    "  timestamp_format: 'YYYYMMDD[T]HHmmss[Z]'",
    '  format: parquet',
    '',
  ].join('\n');
}

function demoActivity(schema: string): string {
  return [
    `# yaml-language-server: $schema=${schema}`,
    '#',
    '# The demo application writes custom/activity_YYYYMMDDHHmmss.json once a day: a prefix_timestamp',
    '# sequence. Each file is taken once, in timestamp order; ferry warns when the next one is late.',
    'name: activity',
    'description: Custom activity files (an NDJSON sequence) as one NDJSON file per run',
    'source:',
    '  kind: s3',
    '  connection: demo',
    '  bucket: vendor-drops',
    '  prefix: custom/',
    "  match: '^activity_(?P<timestamp>\\d{14})\\.json$'",
    '  timestamp_format: YYYYMMDDHHmmss',
    '  pick: sequence',
    '  sequence:',
    '    expect_every: 24h',
    '    grace: 3h',
    '  order: timestamp',
    '  format:',
    '    kind: json',
    '    layout: ndjson',
    '    max_rejects: 5',
    'sink:',
    '  kind: s3',
    '  connection: demo',
    '  bucket: ferry-exports',
    '  directory: my-first-project/activity/',
    "  filename: 'activity-{{timestamp}}'",
    "  timestamp_format: 'YYYYMMDD[T]HHmmss[Z]'",
    '  format: ndjson',
    '',
  ].join('\n');
}

const PIPELINES_README = [
  '# Pipelines',
  '',
  'One pipeline per `*.yaml` file (or a `pipelines:` list in one file). To start from the files a',
  'vendor drops, let ferry propose them:',
  '',
  '```sh',
  'ferry discover s3://BUCKET/PREFIX --write   # one file per family of files found there',
  'ferry validate && ferry plan',
  '```',
  '',
].join('\n');

/** Every file of a new project, in the order they are written. */
export function renderProjectFiles(options: ProjectFilesOptions): ProjectFile[] {
  const files: ProjectFile[] = [
    { path: 'ferry.yaml', text: ferryYaml(options) },
    { path: '.gitignore', text: GITIGNORE },
  ];
  if (options.demo) {
    files.push(
      { path: 'pipelines/accounts.yaml', text: demoAccounts(options.schemas.pipeline) },
      { path: 'pipelines/activity.yaml', text: demoActivity(options.schemas.pipeline) },
    );
  } else {
    files.push({ path: 'pipelines/README.md', text: PIPELINES_README });
  }
  files.push({ path: GITHUB_WORKFLOW_PATH, text: renderGithubWorkflow() });
  return files;
}
