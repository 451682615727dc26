/**
 * CI has no Docker engine, so this replays the Dockerfile outside one: every stage gets its own empty
 * directory standing for the image's filesystem; COPY (honouring .dockerignore), WORKDIR, ENV and RUN
 * are carried out exactly as written (RUN lines may only use npm, node, ln and mkdir with relative
 * paths, so nothing touches this machine outside the temp dir). The result must hold the built CLI
 * and production dependencies only; `ferry` must run from the runtime stage's PATH; and, where
 * `ferry serve` exists, ENTRYPOINT + CMD are started from the runtime stage against the demo's
 * embedded S3 server until /readyz answers, and the HEALTHCHECK command must pass.
 *
 * Differences from a real build, said out loud: node and npm are the ones on PATH, not the image's
 * (CI puts the image's Node major first on PATH, fetched by fetch-node.sh, and passes
 * --require-image-node, which fails the check when the majors differ); no USER switch, no --chown; the
 * base image's own files are not there.
 *
 *   npx tsx scripts/ci/docker-build-check.ts [--keep] [--require-image-node]
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, delimiter, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDemoS3Server } from '../demo/s3-server.js';
import {
  createDockerignore,
  healthcheckCommand,
  lintDockerfile,
  parseDockerfile,
  type Stage,
} from './dockerfile.js';

// The demo S3 server's own client: the SDK's Node-version notice is noise here (as in bin/ferry.js).
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ALLOWED_RUN = new Set(['npm', 'node', 'ln', 'mkdir']);
const READY_DEADLINE_MS = 180_000;

function fail(message: string): never {
  console.error(`docker-build-check: FAIL: ${message}`);
  process.exit(1);
}

function step(message: string): void {
  console.log(`\n-- ${message}`);
}

interface StageState {
  root: string;
  workdir: string;
  env: Record<string, string>;
}

/** A container path inside a stage's directory. */
function inStage(state: StageState, path: string): string {
  return join(state.root, path.startsWith('/') ? path : join(state.workdir, path));
}

function expand(value: string, env: Record<string, string>): string {
  return value.replace(
    /\$\{(\w+)\}|\$(\w+)/g,
    (_, a: string | undefined, b: string | undefined) => env[a ?? b ?? ''] ?? '',
  );
}

/** The stage's PATH for this machine: entries that exist in the stage first, then the host's PATH. */
function hostEnv(state: StageState): NodeJS.ProcessEnv {
  const stagePath = (state.env['PATH'] ?? '')
    .split(':')
    .filter(Boolean)
    .map((p) => join(state.root, p))
    .filter((p) => existsSync(p));
  return { ...process.env, ...state.env, PATH: [...stagePath, process.env['PATH'] ?? ''].join(delimiter) };
}

/** Docker's COPY: a directory's contents go into dest; a file goes into dest/ (or becomes dest). */
function copyInto(from: string, dest: string, filter?: (path: string) => boolean): void {
  const target = statSync(from).isDirectory() || !dest.endsWith('/') ? dest : join(dest, basename(from));
  cpSync(from, target, { recursive: true, verbatimSymlinks: true, ...(filter ? { filter } : {}) });
}

function copyFromContext(sources: string[], dest: string, ignored: (path: string) => boolean): void {
  for (const source of sources) {
    const from = resolve(ROOT, source);
    const rel = relative(ROOT, from);
    if (rel.startsWith('..') || ignored(rel))
      fail(`COPY ${source}: not in the build context (or .dockerignore'd)`);
    copyInto(from, dest, (path) => path === from || !ignored(relative(ROOT, path)));
  }
}

function runInstruction(command: string, state: StageState): void {
  for (const part of command.split('&&').map((p) => p.trim())) {
    const program = part.split(/\s+/)[0] ?? '';
    if (!ALLOWED_RUN.has(program) || /(^|\s)\//.test(part)) {
      fail(
        `RUN ${part}: cannot be replayed outside a container (allowed: ${[...ALLOWED_RUN].join(', ')} with relative paths)`,
      );
    }
  }
  console.log(`RUN ${command}`);
  const result = spawnSync('bash', ['-c', command], {
    cwd: join(state.root, state.workdir),
    env: hostEnv(state),
    stdio: 'inherit',
  });
  if (result.status !== 0) fail(`RUN ${command} exited ${result.status ?? result.signal}`);
}

function replayStage(
  stage: Stage,
  states: Map<string, StageState>,
  root: string,
  ignored: (p: string) => boolean,
): StageState {
  const state: StageState = {
    root: join(root, stage.name),
    workdir: '/',
    env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' },
  };
  mkdirSync(state.root, { recursive: true });
  console.log(`\nFROM ${stage.base} AS ${stage.name}  (replayed in ${state.root})`);
  for (const instruction of stage.instructions) {
    const words = instruction.rest.split(/\s+/).filter(Boolean);
    switch (instruction.keyword) {
      case 'WORKDIR':
        state.workdir = instruction.rest.startsWith('/')
          ? instruction.rest
          : join(state.workdir, instruction.rest);
        mkdirSync(join(state.root, state.workdir), { recursive: true });
        break;
      case 'ENV':
        for (const pair of words) {
          const [key, value = ''] = pair.split(/=(.*)/s, 2);
          if (key) state.env[key] = expand(value, state.env);
        }
        break;
      case 'COPY': {
        const dest = inStage(state, words.at(-1) ?? '.') + ((words.at(-1) ?? '').endsWith('/') ? '/' : '');
        mkdirSync(dest.endsWith('/') ? dest : dirname(dest), { recursive: true });
        const from = instruction.flags['from'];
        if (from === undefined) copyFromContext(words.slice(0, -1), dest, ignored);
        else {
          const source = states.get(from) ?? fail(`COPY --from=${from}: no such stage`);
          for (const path of words.slice(0, -1)) copyInto(inStage(source, path), dest);
        }
        console.log(`COPY ${instruction.rest}`);
        break;
      }
      case 'RUN':
        runInstruction(instruction.rest, state);
        break;
      default:
        console.log(`${instruction.keyword} ${instruction.rest}  (metadata: not replayed)`);
    }
  }
  return state;
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolvePort(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

function checkRuntime(runtime: StageState): void {
  step('the runtime stage holds the built CLI and production dependencies only');
  for (const path of [
    '/app/dist/cli/main.js',
    '/app/bin/ferry.js',
    '/app/schemas/ferry.schema.json',
    '/app/package.json',
    '/app/node_modules/@duckdb/node-api',
    '/project/state/README.md',
  ]) {
    if (!existsSync(join(runtime.root, path))) fail(`${path} is missing from the runtime stage`);
  }
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    devDependencies: Record<string, string>;
  };
  const present = Object.keys(pkg.devDependencies).filter((name) =>
    existsSync(join(runtime.root, '/app/node_modules', name)),
  );
  if (present.length) fail(`dev dependencies in the runtime stage: ${present.join(', ')}`);
  const bindings = readdirSync(join(runtime.root, '/app/node_modules/@duckdb')).filter((n) =>
    n.startsWith('node-bindings-'),
  );
  console.log(
    `ok: no dev dependencies; DuckDB bindings: ${bindings.join(', ')} (npm installs the one for the build platform)`,
  );
  const version = execFileSync('ferry', ['--version'], {
    cwd: join(runtime.root, runtime.workdir),
    env: hostEnv(runtime),
    encoding: 'utf8',
  });
  console.log(`ok: \`ferry --version\` from the runtime PATH: ${version.trim()}`);
}

async function checkServe(file: ReturnType<typeof parseDockerfile>, runtime: StageState): Promise<void> {
  const last = file.stages.at(-1)?.instructions ?? [];
  const entrypoint =
    last.filter((i) => i.keyword === 'ENTRYPOINT').at(-1)?.exec ?? fail('no ENTRYPOINT in exec form');
  const cmd = last.filter((i) => i.keyword === 'CMD').at(-1)?.exec ?? [];
  const [program = 'ferry', ...programArgs] = entrypoint;
  const project = join(runtime.root, runtime.workdir);
  step(`${[...entrypoint, ...cmd].join(' ')} from the runtime stage`);
  const help = spawnSync(program, [...programArgs, ...cmd, '--help'], {
    cwd: project,
    env: hostEnv(runtime),
    encoding: 'utf8',
  });
  if (help.status !== 0) {
    console.log(
      `SKIP: \`${[...entrypoint, ...cmd].join(' ')} --help\` exited ${help.status}: \`ferry serve\` is not built on this branch yet, so the container's command cannot be started; the install and build steps above were checked.`,
    );
    return;
  }
  for (const name of ['ferry.yaml', 'pipelines'])
    cpSync(join(ROOT, name), join(project, name), { recursive: true });
  const s3dir = mkdtempSync(join(tmpdir(), 'ferry-docker-check-s3-'));
  const s3 = await startDemoS3Server({ directory: s3dir, port: 0 });
  const healthPort = await freePort();
  const env = {
    ...hostEnv(runtime),
    FERRY_HEALTH_PORT: String(healthPort),
    FERRY_DEMO_ENDPOINT: s3.endpoint,
    FERRY_DEMO_ACCESS_KEY_ID: 'S3RVER',
    FERRY_DEMO_SECRET_ACCESS_KEY: 'S3RVER',
  };
  const child = spawn(program, [...programArgs, ...cmd], {
    cwd: project,
    env,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  let exited: number | null | undefined;
  child.on('exit', (code) => (exited = code));
  // fail() exits the process without running the finally below: never leave serve behind.
  process.once('exit', () => {
    if (exited === undefined) child.kill('SIGKILL');
  });
  try {
    const deadline = Date.now() + READY_DEADLINE_MS;
    for (;;) {
      if (exited !== undefined) fail(`ferry serve exited (${exited}) before /readyz answered`);
      if (Date.now() > deadline) fail(`/readyz did not answer 200 within ${READY_DEADLINE_MS / 1000} s`);
      const status = await fetch(`http://127.0.0.1:${healthPort}/readyz`).then(
        (r) => r.status,
        () => 0,
      );
      if (status === 200) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    console.log(`ok: /readyz answered 200 on port ${healthPort}`);
    const healthcheck = last.find((i) => i.keyword === 'HEALTHCHECK');
    const probe = healthcheck ? healthcheckCommand(healthcheck) : undefined;
    if (!probe) fail('HEALTHCHECK has no CMD in exec form');
    const [probeProgram = 'node', ...probeArgs] = probe;
    const result = spawnSync(probeProgram, probeArgs, { env, encoding: 'utf8' });
    if (result.status !== 0) fail(`the HEALTHCHECK command exited ${result.status}`);
    console.log('ok: the HEALTHCHECK command passes');
  } finally {
    if (exited === undefined) {
      const stopped = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([stopped, new Promise((r) => setTimeout(r, 30_000).unref())]);
      if (exited === undefined) child.kill('SIGKILL');
    }
    await s3.stop();
    rmSync(s3dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const text = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  const file = parseDockerfile(text);
  step('lint');
  const hadolint = spawnSync('hadolint', ['Dockerfile'], { cwd: ROOT, encoding: 'utf8' });
  if (hadolint.error) {
    console.log(
      'hadolint is not installed (not packaged for Debian 12, not on npm; its GitHub release binary cannot be fetched here): using the built-in checks below instead.',
    );
  } else {
    process.stdout.write(hadolint.stdout + hadolint.stderr);
    if (hadolint.status !== 0) fail('hadolint found problems');
    console.log('ok: hadolint');
  }
  const findings = lintDockerfile(file);
  if (findings.length) fail(`Dockerfile: ${findings.join('; ')}`);
  console.log(
    'ok: pinned base, exec-form ENTRYPOINT/CMD, non-root USER, HEALTHCHECK, absolute WORKDIR, COPY not ADD, npm ci',
  );

  const base = file.stages[0]?.base ?? '?';
  step(`replay (node ${process.version} from PATH; the image uses ${base})`);
  const imageMajor = /^node:(\d+)(?:[.-]|$)/.exec(base)?.[1];
  const hostMajor = /^v(\d+)\./.exec(process.version)?.[1];
  if (imageMajor !== hostMajor) {
    const what = `node ${process.version} is not the image's Node ${imageMajor ?? '(unknown)'} (${base})`;
    if (process.argv.includes('--require-image-node')) {
      fail(`${what}: put it first on PATH: PATH="$(bash scripts/ci/fetch-node.sh):$PATH"`);
    }
    console.log(`note: ${what}; the replay runs on it anyway`);
  }
  const root = mkdtempSync(join(tmpdir(), 'ferry-docker-check-'));
  const ignored = createDockerignore(
    existsSync(join(ROOT, '.dockerignore')) ? readFileSync(join(ROOT, '.dockerignore'), 'utf8') : '',
  );
  try {
    const states = new Map<string, StageState>();
    for (const stage of file.stages) states.set(stage.name, replayStage(stage, states, root, ignored));
    const runtime = states.get(file.stages.at(-1)?.name ?? '') ?? fail('no stages');
    checkRuntime(runtime);
    await checkServe(file, runtime);
    console.log('\ndocker-build-check: ok');
  } finally {
    if (process.argv.includes('--keep')) console.log(`kept ${root}`);
    else rmSync(root, { recursive: true, force: true });
  }
}

await main();
