/**
 * `npm start -- --serve`: the demo project under `ferry serve` until Ctrl-C. The project is copied to
 * demo-data/serve-project/ with every schedule set to `every: 1m`, so runs come within a minute
 * instead of at 06:00 New York time; edit a pipeline file there and serve reloads it. Day 2's files
 * are dropped after the first round of runs, so the next round shows the diff.
 */
import { spawn } from 'node:child_process';
import { copyFile, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join, relative } from 'node:path';
import { isMap, isSeq, parseDocument } from 'yaml';

export interface ServeDemoOptions {
  root: string;
  dataDir: string;
  env: NodeJS.ProcessEnv;
  /** Drops the next day's files (called once, after the first round of runs). */
  dropDayTwo: () => Promise<void>;
  log: (line: string) => void;
}

const DEMO_SCHEDULE = { every: '1m' };
const DAY_TWO_AFTER_MS = 75_000;

/** Copies ferry.yaml and pipelines/*.yaml, every schedule replaced by DEMO_SCHEDULE (comments kept). */
async function writeServeProject(root: string, target: string): Promise<void> {
  await rm(target, { recursive: true, force: true });
  await mkdir(join(target, 'pipelines'), { recursive: true });
  await copyFile(join(root, 'ferry.yaml'), join(target, 'ferry.yaml'));
  for (const file of (await readdir(join(root, 'pipelines'))).filter((f) => /\.ya?ml$/.test(f))) {
    const doc = parseDocument(await readFile(join(root, 'pipelines', file), 'utf8'));
    const list = doc.get('pipelines');
    const paths = isSeq(list) ? list.items.map((_, i) => ['pipelines', i]) : [[]];
    for (const path of paths) {
      const node = path.length ? doc.getIn(path) : doc.contents;
      if (isMap(node) && node.has('schedule'))
        doc.setIn([...path, 'schedule'], doc.createNode(DEMO_SCHEDULE));
    }
    await writeFile(join(target, 'pipelines', file), doc.toString());
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Runs `ferry serve` until it exits (Ctrl-C is passed on to it); returns its exit code. */
export async function runServeDemo(options: ServeDemoOptions): Promise<number> {
  const project = join(options.dataDir, 'serve-project');
  await writeServeProject(options.root, project);
  const port = await freePort();
  const rel = relative(process.cwd(), project) || '.';
  options.log(
    [
      `The demo project, copied to ${rel}/ with every schedule set to "every: 1m" (so runs come within a minute).`,
      `  Status   curl -s http://127.0.0.1:${port}/status`,
      `  Metrics  curl -s http://127.0.0.1:${port}/metrics | grep ^ferry_`,
      `  Reload   edit ${rel}/pipelines/*.yaml: serve adopts a valid change between runs, and keeps the`,
      '           last good configuration (logging every problem with file:line:col) if it is invalid.',
      `  Day 2's files are dropped in ${DAY_TWO_AFTER_MS / 1000} s. Ctrl-C stops serve (it drains, then exits).`,
      '',
    ].join('\n'),
  );
  const child = spawn(
    process.execPath,
    [
      join(options.root, 'bin', 'ferry.js'),
      'serve',
      '--project',
      join(project, 'ferry.yaml'),
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--reload-interval',
      '2s',
    ],
    // Its own process group: Ctrl-C reaches the demo only, which passes it on exactly once (a second
    // SIGINT would make serve stop at once instead of draining).
    { cwd: options.root, env: options.env, stdio: 'inherit', detached: true },
  );
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const dayTwo = setTimeout(() => {
    options.log("\n── Day 2: the vendors' next drop ──");
    void options.dropDayTwo();
  }, DAY_TWO_AFTER_MS);
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  try {
    return await new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code, signal) => resolve(code ?? (signal ? 130 : 1)));
    });
  } finally {
    clearTimeout(dayTwo);
    process.off('SIGINT', forward);
    process.off('SIGTERM', forward);
    process.off('exit', killOnExit);
  }
}
