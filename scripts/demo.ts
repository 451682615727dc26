/**
 * `npm start`: ferry's demo on a fresh clone. Starts an embedded S3 server (s3rver), seeds it with
 * generated vendor files, and runs the real CLI on the project in this repository (ferry.yaml +
 * pipelines/): validate → plan → apply, then a "next day" drop → plan (the diff) → apply. Ends by
 * listing what ferry wrote and how to look at it; stops the server unless --keep is given.
 *
 *   npm start                      run the demo (well under a minute)
 *   npm start -- --keep            keep the S3 server running afterwards, until Ctrl-C
 *   npm start -- --keep --port 4568   … on a fixed port (4568 is ferry.yaml's default endpoint)
 *   npm start -- --serve           day 1's files, then `ferry serve` on the project until Ctrl-C
 */
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type _Object,
} from '@aws-sdk/client-s3';
import { generateSampleData, type SampleDrop } from './demo/sample-data.js';
import { S3RVER_KEYS, startDemoS3Server, type DemoS3Server } from './demo/s3-server.js';
import { runServeDemo } from './demo/serve-demo.js';

// The ferry commands get the environment as it was, so they print exactly what they would print for
// you. The demo's own S3 client (seeding and listing) does not need the AWS SDK's Node-version notice.
const CHILD_ENV: NodeJS.ProcessEnv = { ...process.env };
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] = 'true';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DATA_DIR = join(ROOT, 'demo-data');
const S3_DIR = join(DATA_DIR, 's3');
const EXPORTS_DIR = join(DATA_DIR, 'exports');
const LOCK_FILE = join(DATA_DIR, 'demo.pid');
const STATE_DIR = join(ROOT, 'state');
const SOURCE_BUCKET = 'vendor-drops';
const EXPORT_BUCKET = 'ferry-exports';
const SEED = 20_240_501;

const USAGE = `Usage: npm start [-- --keep] [-- --port N] [-- --serve]

Runs ferry's demo: an embedded S3 server, generated vendor files, and the real CLI on ferry.yaml and
pipelines/ (validate → plan → apply, then a second day's files → plan → apply).

  --keep      keep the S3 server running after the demo, until Ctrl-C
  --port N    the S3 server's port (default: any free port; 4568 is ferry.yaml's default endpoint)
  --serve     drop day 1's files, then run the project under \`ferry serve\` (schedules shortened
              to every minute) until Ctrl-C; day 2's files follow after the first round of runs
  --help      this text
`;

// ---------------------------------------------------------------------------------------------------
// Console
// ---------------------------------------------------------------------------------------------------

const useColor =
  process.env['FORCE_COLOR'] !== undefined && process.env['FORCE_COLOR'] !== '0'
    ? true
    : process.env['NO_COLOR'] === undefined && process.stdout.isTTY === true;
const paint = (code: number) => (s: string) => (useColor ? `\u001b[${code}m${s}\u001b[0m` : s);
const bold = paint(1);
const dim = paint(2);
const red = paint(31);
const green = paint(32);
const cyan = paint(36);

let stepNumber = 0;
let stepCount = 11;

function banner(title: string, ...explanation: string[]): void {
  stepNumber += 1;
  const head = `── ${stepNumber}/${stepCount}  ${title} `;
  console.log(`\n${bold(cyan(head.padEnd(100, '─')))}`);
  for (const line of explanation) console.log(dim(line));
}

function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} kB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

class DemoError extends Error {}

// ---------------------------------------------------------------------------------------------------
// Build and run the real CLI
// ---------------------------------------------------------------------------------------------------

function runNode(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: 'inherit' });
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

async function newestMtime(path: string): Promise<number> {
  const info = await stat(path);
  if (!info.isDirectory()) return info.mtimeMs;
  let newest = info.mtimeMs;
  for (const entry of await readdir(path)) newest = Math.max(newest, await newestMtime(join(path, entry)));
  return newest;
}

/** Builds dist/ (what bin/ferry.js runs) when it is missing or older than engine/. */
async function ensureBuilt(): Promise<void> {
  const built = await stat(join(ROOT, 'dist', 'cli', 'main.js')).then(
    (info) => info.mtimeMs,
    () => undefined,
  );
  const sources = Math.max(
    await newestMtime(join(ROOT, 'engine')),
    await newestMtime(join(ROOT, 'tsconfig.json')),
    await newestMtime(join(ROOT, 'tsconfig.build.json')),
  );
  if (built !== undefined && built >= sources) {
    console.log(`dist/ is up to date with engine/; the CLI is ${bold('node bin/ferry.js')}.`);
    return;
  }
  console.log(`${built === undefined ? 'dist/ is missing' : 'dist/ is older than engine/'}; building it:`);
  console.log(`${dim('$')} npx tsc -p tsconfig.build.json`);
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const code = await runNode([tsc, '-p', 'tsconfig.build.json'], CHILD_ENV);
  if (code !== 0) {
    throw new DemoError(
      `Building ferry failed (tsc exited with ${code}); see the errors above. Run \`npm run build\` to retry.`,
    );
  }
}

const EXIT_MEANINGS: Record<number, string> = {
  1: 'a runtime failure',
  2: 'changes pending',
  3: 'invalid configuration',
  4: 'a lock is held',
  5: 'a stale plan',
  64: 'a usage error',
  70: 'an internal error in ferry',
};

async function ferry(args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  console.log(`${dim('$')} ${bold(`ferry ${args.join(' ')}`)}\n`);
  const code = await runNode([join(ROOT, 'bin', 'ferry.js'), ...args], env);
  if (code !== 0) {
    const meaning = EXIT_MEANINGS[code];
    throw new DemoError(
      `\`ferry ${args.join(' ')}\` exited with code ${code}${meaning ? ` (${meaning})` : ''}; see its output above.`,
    );
  }
}

// ---------------------------------------------------------------------------------------------------
// S3
// ---------------------------------------------------------------------------------------------------

async function upload(server: DemoS3Server, drop: SampleDrop): Promise<void> {
  const width = Math.max(...drop.files.map((f) => f.key.length));
  for (const file of drop.files) {
    await server.client.send(new PutObjectCommand({ Bucket: SOURCE_BUCKET, Key: file.key, Body: file.body }));
    console.log(
      `  ${green('+')} s3://${SOURCE_BUCKET}/${file.key.padEnd(width)}  ${formatSize(file.body.length).padStart(8)}  ${dim(file.description)}`,
    );
  }
}

async function listObjects(server: DemoS3Server, bucket: string): Promise<_Object[]> {
  const objects: _Object[] = [];
  let token: string | undefined;
  do {
    const page = await server.client.send(
      new ListObjectsV2Command({ Bucket: bucket, ...(token ? { ContinuationToken: token } : {}) }),
    );
    objects.push(...(page.Contents ?? []));
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return objects;
}

async function download(server: DemoS3Server, bucket: string, key: string, path: string): Promise<void> {
  const response = await server.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  if (!(response.Body instanceof Readable)) throw new DemoError(`No body for s3://${bucket}/${key}.`);
  await mkdir(dirname(path), { recursive: true });
  await pipeline(response.Body, createWriteStream(path));
}

// ---------------------------------------------------------------------------------------------------
// The demo
// ---------------------------------------------------------------------------------------------------

/**
 * One demo at a time per checkout: two would share state/ and demo-data/. Returns a release function.
 * A lock left by a demo that no longer runs is taken over.
 */
async function lockDemo(): Promise<() => Promise<void>> {
  await mkdir(DATA_DIR, { recursive: true });
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      await writeFile(LOCK_FILE, `${process.pid}\n`, { flag: 'wx' });
      return () => rm(LOCK_FILE, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const pid = Number((await readFile(LOCK_FILE, 'utf8').catch(() => '')).trim());
    if (Number.isInteger(pid) && pid > 0 && isRunning(pid)) {
      throw new DemoError(
        `Another demo is running in this checkout (pid ${pid}); both would use state/ and demo-data/. ` +
          `Wait for it to finish, or stop it (kill ${pid}).`,
      );
    }
    await rm(LOCK_FILE, { force: true });
  }
  throw new DemoError(`Cannot take the demo lock ${relative(ROOT, LOCK_FILE)}.`);
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function clearState(): Promise<void> {
  const cleared: string[] = [];
  for (const kind of ['pipelines', 'datasets']) {
    const names = await readdir(join(STATE_DIR, kind)).catch(() => []);
    await rm(join(STATE_DIR, kind), { recursive: true, force: true });
    if (names.length)
      cleared.push(
        `state/${kind}/ (${names.length} ${kind === 'pipelines' ? 'pipeline' : 'dataset'}${names.length === 1 ? '' : 's'})`,
      );
  }
  console.log(
    cleared.length
      ? `Cleared the demo's local state: removed ${cleared.join(' and ')}.`
      : 'The demo\u2019s local state (state/pipelines/, state/datasets/) is empty: this is a first run.',
  );
  console.log(
    dim('(ferry.yaml keeps state in ./state; the demo starts from scratch each time, so every file is new.)'),
  );
}

/** Every object in the export bucket, grouped by the pipeline that wrote it (ferry's object metadata). */
/**
 * Pipelines switched off with `enabled: false`: plan and apply skip them without a word, so the demo
 * names them (the file's comment says why).
 */
async function disabledPipelines(): Promise<{ name: string; file: string }[]> {
  const dir = join(ROOT, 'pipelines');
  const found: { name: string; file: string }[] = [];
  for (const file of (await readdir(dir)).filter((f) => /\.ya?ml$/.test(f)).sort()) {
    const doc: unknown = parseYaml(await readFile(join(dir, file), 'utf8'));
    const list = (doc as { pipelines?: unknown[] } | null)?.pipelines ?? [doc];
    for (const item of list) {
      const pipeline = item as { name?: unknown; enabled?: unknown } | null;
      if (pipeline?.enabled === false) found.push({ name: String(pipeline.name), file: `pipelines/${file}` });
    }
  }
  return found;
}

async function showExports(server: DemoS3Server): Promise<void> {
  const objects = await listObjects(server, EXPORT_BUCKET);
  await rm(EXPORTS_DIR, { recursive: true, force: true });
  if (objects.length === 0) {
    console.log(red(`s3://${EXPORT_BUCKET} is empty: ferry wrote nothing.`));
    return;
  }
  const byPipeline = new Map<string, { key: string; size: number; rows: string }[]>();
  let total = 0;
  for (const object of objects) {
    const key = object.Key ?? '';
    const head = await server.client.send(new HeadObjectCommand({ Bucket: EXPORT_BUCKET, Key: key }));
    const pipeline = head.Metadata?.['ferry-pipeline'] ?? '(unknown pipeline)';
    const list = byPipeline.get(pipeline) ?? [];
    list.push({ key, size: object.Size ?? 0, rows: head.Metadata?.['ferry-rows'] ?? '?' });
    byPipeline.set(pipeline, list);
    total += object.Size ?? 0;
    await download(server, EXPORT_BUCKET, key, join(EXPORTS_DIR, key));
  }
  const width = Math.max(...objects.map((o) => (o.Key ?? '').length));
  console.log(
    `s3://${EXPORT_BUCKET} holds ${objects.length} objects, ${formatSize(total)} in total ${dim('(day 1 and day 2; by the pipeline that wrote them)')}:`,
  );
  for (const [pipeline, files] of [...byPipeline].sort(([a], [b]) => a.localeCompare(b))) {
    console.log(`  ${bold(pipeline)}`);
    for (const file of files) {
      console.log(
        `    ${file.key.padEnd(width)}  ${formatSize(file.size).padStart(8)}  ${dim(`${file.rows} rows`)}`,
      );
    }
  }
}

function awsListCommand(endpoint: string): string {
  return `AWS_ACCESS_KEY_ID=${S3RVER_KEYS.accessKeyId} AWS_SECRET_ACCESS_KEY=${S3RVER_KEYS.secretAccessKey} aws --endpoint-url ${endpoint} s3 ls --recursive s3://${EXPORT_BUCKET}/`;
}

function printHowToLook(keep: boolean): void {
  const rel = (path: string): string => relative(process.cwd(), path) || '.';
  console.log(
    [
      '',
      bold('Where to look'),
      `  Copies of the outputs     ${rel(EXPORTS_DIR)}/  ${dim('(e.g. head, zstdcat, duckdb -c "FROM \'…parquet\'")')}`,
      `  s3rver's object store     ${rel(S3_DIR)}/<bucket>/<key>._S3rver_object  ${dim('(plain files; kept until the next npm start)')}`,
      `  ferry's state             state/pipelines/<pipeline>/state.json, run reports in …/runs/`,
      `  The datasets              state/datasets/<dataset>/v*.parquet  ${dim('(one file per kept version; ferry state rollback DATASET)')}`,
      `  The pipelines             ferry.yaml, pipelines/*.yaml  ${dim('(edit one and run npm start again)')}`,
    ].join('\n'),
  );
  if (!keep) {
    console.log(
      [
        '',
        `To browse with the AWS CLI or run ferry yourself, keep the server running: ${bold('npm start -- --keep')}, then e.g.`,
        `  ${dim(awsListCommand('http://127.0.0.1:<port>'))}`,
      ].join('\n'),
    );
  }
}

function printKeepInfo(server: DemoS3Server): void {
  const aws = awsListCommand(server.endpoint);
  console.log(
    [
      '',
      bold(`The S3 server is still running at ${server.endpoint}`) +
        dim(` (keys ${S3RVER_KEYS.accessKeyId} / ${S3RVER_KEYS.secretAccessKey})`),
      `  ${aws}`,
      '  Run ferry yourself against it, from this directory:',
      `    export FERRY_DEMO_ENDPOINT=${server.endpoint} FERRY_DEMO_ACCESS_KEY_ID=${S3RVER_KEYS.accessKeyId} FERRY_DEMO_SECRET_ACCESS_KEY=${S3RVER_KEYS.secretAccessKey}`,
      '    node bin/ferry.js plan',
      '',
      bold('Press Ctrl-C to stop it.'),
    ].join('\n'),
  );
}

function waitForCtrlC(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}

async function main(): Promise<number> {
  let args: { keep: boolean; port: number; serve: boolean };
  try {
    const { values } = parseArgs({
      options: {
        keep: { type: 'boolean', default: false },
        serve: { type: 'boolean', default: false },
        port: { type: 'string', default: '0' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    });
    if (values.help) {
      console.log(USAGE);
      return 0;
    }
    const port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65_535)
      throw new Error(`--port ${values.port} is not a port`);
    args = { keep: values.keep, port, serve: values.serve };
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
    return 64;
  }

  const started = Date.now();
  if (args.serve) stepCount = 4;
  const sample = generateSampleData({ seed: SEED, now: new Date() });
  console.log(
    bold('ferry demo') +
      dim(
        ` — a declarative sync engine for S3 data. Everything below runs locally: an embedded S3 server, generated vendor files (seed ${SEED}), and the real CLI on ferry.yaml + pipelines/.`,
      ),
  );

  let server: DemoS3Server | undefined;
  let unlock: (() => Promise<void>) | undefined;
  const onSignal = (): void => {
    console.error(`\n${red('✖ Interrupted.')} Stopping the S3 server.`);
    void (server?.stop() ?? Promise.resolve()).then(() => unlock?.()).finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    unlock = await lockDemo();
    banner('Prepare', 'bin/ferry.js runs the compiled CLI in dist/; the demo starts from empty state.');
    await ensureBuilt();
    await clearState();

    banner(
      'Start an embedded S3 server',
      's3rver, a real S3 HTTP server that stores objects as files; ferry talks to it over the S3 protocol.',
    );
    await rm(S3_DIR, { recursive: true, force: true });
    await mkdir(S3_DIR, { recursive: true });
    server = await startDemoS3Server({ directory: S3_DIR, port: args.port }).catch((error: unknown) => {
      const detail = error instanceof Error ? error.message : String(error);
      throw new DemoError(
        detail.includes('EADDRINUSE')
          ? `Port ${args.port} is already in use; pick another with --port, or leave --port out to take a free one.`
          : `Cannot start the embedded S3 server (s3rver): ${detail}`,
      );
    });
    for (const bucket of [SOURCE_BUCKET, EXPORT_BUCKET]) await server.createBucket(bucket);
    console.log(
      `s3rver is listening on ${bold(server.endpoint)}, storing objects under ${relative(ROOT, S3_DIR)}/`,
    );
    console.log(`Buckets: ${SOURCE_BUCKET} (what vendors drop), ${EXPORT_BUCKET} (what ferry publishes).`);
    const env: NodeJS.ProcessEnv = {
      ...CHILD_ENV,
      FERRY_DEMO_ENDPOINT: server.endpoint,
      FERRY_DEMO_ACCESS_KEY_ID: S3RVER_KEYS.accessKeyId,
      FERRY_DEMO_SECRET_ACCESS_KEY: S3RVER_KEYS.secretAccessKey,
    };
    console.log(
      dim(
        `ferry.yaml reads the endpoint and keys from the environment: FERRY_DEMO_ENDPOINT=${server.endpoint}, FERRY_DEMO_ACCESS_KEY_ID / FERRY_DEMO_SECRET_ACCESS_KEY=${S3RVER_KEYS.accessKeyId}.`,
      ),
    );

    banner(
      `Day 1: the vendors drop their files (${sample.calendar.day1.toISOString().slice(0, 10)})`,
      ...sample.dayOne.notes.map((note) => `· ${note}`),
    );
    await upload(server, sample.dayOne);

    if (args.serve) {
      banner('ferry serve', 'The pipelines on their schedules, with health, metrics and status endpoints.');
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      const demoServer = server;
      const code = await runServeDemo({
        root: ROOT,
        dataDir: DATA_DIR,
        env,
        dropDayTwo: () => upload(demoServer, sample.dayTwo),
        log: (line) => console.log(dim(line)),
      });
      console.log(
        code === 0 ? `${green('✔')} ferry serve stopped cleanly.` : red(`ferry serve exited with ${code}.`),
      );
      return code;
    }

    banner(
      'ferry validate',
      'Checks ferry.yaml and every pipeline against the schema and the rules; reads no data.',
    );
    await ferry(['validate'], env);
    for (const { name, file } of await disabledPipelines()) {
      console.log(
        `${bold('Note:')} ${name} is switched off (enabled: false in ${file}); plan and apply skip it. Its comment says why.`,
      );
    }

    banner(
      'ferry plan',
      'A dry run: lists, fetches, loads, maps and diffs for real, and shows what apply would write. Writes nothing.',
      'Pipelines that read a dataset (exports, relation checks, mode: update) are planned against the version the',
      'imports before them would create, so the numbers here are those of apply.',
    );
    await ferry(['plan'], env);

    banner(
      'ferry apply',
      'Runs the same steps, uploads and verifies the outputs, then commits state. A pipeline that writes a',
      'dataset runs before those that read it: organizations → accounts → users → NPS responses and tracks,',
      'and every export after the datasets it reads.',
    );
    await ferry(['apply'], env);

    banner(
      `Day 2: the next drop (${sample.calendar.day2.toISOString().slice(0, 10)})`,
      ...sample.dayTwo.notes.map((note) => `· ${note}`),
    );
    await upload(server, sample.dayTwo);

    banner(
      'ferry plan',
      'Only new files are taken: snapshots are compared with yesterday\u2019s, rows merged into datasets by key;',
      'exports see today\u2019s imports already, as they will at apply.',
    );
    await ferry(['plan'], env);

    banner(
      'ferry apply',
      'Imports merge what changed; exports publish from the updated datasets (the activity export: only new events).',
    );
    await ferry(['apply'], env);

    banner('What ferry wrote');
    await showExports(server);

    banner(
      'ferry state list',
      'What ferry remembers: each pipeline\u2019s last run, each dataset\u2019s versions.',
    );
    await ferry(['state', 'list'], env);
    printHowToLook(args.keep);
    console.log(`\n${green('✔')} Demo finished in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
    if (args.keep) {
      printKeepInfo(server);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await waitForCtrlC();
      console.log('\nStopping the S3 server.');
    }
    return 0;
  } catch (error) {
    const message =
      error instanceof DemoError
        ? error.message
        : `${error instanceof Error ? (error.stack ?? error.message) : String(error)}`;
    console.error(`\n${red('✖ The demo failed:')} ${message}`);
    return 1;
  } finally {
    await server?.stop();
    if (server) console.log(dim('The S3 server is stopped.'));
    await unlock?.();
  }
}

process.exitCode = await main();
