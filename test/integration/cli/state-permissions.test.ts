/**
 * Local state or a temp dir that ferry cannot write, as a container meets it: the image runs as uid
 * 1000 (`node`), and a host directory bind-mounted at /project/state that it cannot write. Each case
 * must end as a problem with its code, the file and what to do, never as "internal error" with a stack
 * trace (which is how it ended before). The built CLI runs as a user that file permissions apply to:
 * this user when it is not root; as root, uid 1000 (the container's) when it can reach this checkout,
 * else root without CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH (setpriv). The case that does not need
 * permissions (a file where the state directory must be) runs in-process.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FerryError } from '../../../engine/errors/ferry-error.js';
import { LocalBlobStore } from '../../../engine/state/local-blob-store.js';
import { CLI_PROJECT_ENV, createCliProject } from '../../harness/cli-project.js';
import { startS3Server, type S3TestServer } from '../../harness/s3-server.js';

const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'bin', 'ferry.js');
/** The container's user (Dockerfile: USER node). */
const CONTAINER_UID = 1000;
const DROP_DAC = [
  '--inh-caps=-dac_override,-dac_read_search',
  '--bounding-set=-dac_override,-dac_read_search',
];

/** How the CLI is started so that file permissions apply to it, and the uid it then runs as. */
interface Runner {
  how: string;
  uid: number;
  start: (args: readonly string[]) => { file: string; args: string[]; uid?: number; gid?: number };
}

function chooseRunner(): Runner {
  const self = process.getuid?.() ?? 0;
  const cli = (args: readonly string[]) => [BIN, ...args];
  if (self !== 0)
    return {
      how: `as this user (uid ${self})`,
      uid: self,
      start: (a) => ({ file: process.execPath, args: cli(a) }),
    };
  const ids = { uid: CONTAINER_UID, gid: CONTAINER_UID };
  if (spawnSync(process.execPath, cli(['--version']), ids).status === 0) {
    return {
      how: `as uid ${CONTAINER_UID}, the container's user`,
      uid: CONTAINER_UID,
      start: (a) => ({ file: process.execPath, args: cli(a), ...ids }),
    };
  }
  if (spawnSync('setpriv', [...DROP_DAC, '--', process.execPath, ...cli(['--version'])]).status === 0) {
    return {
      how: 'as root without CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH',
      uid: 0,
      start: (a) => ({ file: 'setpriv', args: [...DROP_DAC, '--', process.execPath, ...cli(a)] }),
    };
  }
  throw new Error(
    `Cannot start the CLI as a user that file permissions apply to: uid ${CONTAINER_UID} cannot run ${BIN} (is the checkout readable by others?) and setpriv cannot drop CAP_DAC_OVERRIDE.`,
  );
}

let server: S3TestServer;
/** World-readable, so uid 1000 can reach the project (mkdtemp makes 0700 directories). */
let shared: string;
/** A temp dir every user can write, as the container's /tmp (the tests' own TMPDIR is 0700). */
let containerTmp: string;
let runner: Runner;
beforeAll(async () => {
  runner = chooseRunner();
  server = await startS3Server();
  shared = await mkdtemp('/tmp/ferry-permissions-');
  await chmod(shared, 0o755);
  containerTmp = join(shared, 'tmp');
  await mkdir(containerTmp);
  await chmod(containerTmp, 0o1777);
});
afterAll(async () => {
  await server?.stop();
  await rm(shared, { recursive: true, force: true });
});

/** A project with one CSV pipeline and one source file, readable (not writable) by everyone. */
async function project(): Promise<{ dir: string }> {
  const { dir, input, output } = await createCliProject({ server, label: 'permissions', parent: shared });
  await writeFile(
    join(dir, 'pipelines', 'p.yaml'),
    `name: p\nsource: {kind: s3, connection: s3, bucket: ${input}, prefix: in/, format: {kind: csv}}\n` +
      `sink: {kind: s3, connection: s3, bucket: ${output}, directory: out/, filename: 'out-{{run_id}}', format: csv}\n`,
  );
  await server.client.send(
    new PutObjectCommand({ Bucket: input, Key: 'in/a.csv', Body: 'id,name\n1,Ada\n' }),
  );
  for (const path of [dir, join(dir, 'pipelines')]) await chmod(path, 0o755);
  for (const file of ['ferry.yaml', 'pipelines/p.yaml']) await chmod(join(dir, file), 0o644);
  return { dir };
}

/** `ferry ARGS` in `cwd` as the runner's user, with the environment given. */
function ferry(
  cwd: string,
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; output: string }> {
  const { file, args: argv, ...ids } = runner.start(args);
  return new Promise((resolve, reject) => {
    const child = spawn(file, argv, {
      cwd,
      ...ids,
      env: { ...process.env, ...CLI_PROJECT_ENV, HOME: shared, TMPDIR: containerTmp, NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, output }));
  });
}

describe('files the CLI may not write or read (run as a user that permissions apply to)', () => {
  it('a state directory it cannot write: STATE_WRITE_FAILED naming the file, the uid and the fix', async () => {
    const p = await project();
    await mkdir(join(p.dir, 'state'), { mode: 0o555 }); // as a volume the container user cannot write
    const run = await ferry(p.dir, ['apply']);
    expect(run.code, `${runner.how}: ${run.output}`).toBe(1);
    expect(run.output).toContain('Cannot write state/pipelines/p/lock.json: permission denied (EACCES).');
    expect(run.output).toContain('[STATE_WRITE_FAILED]');
    expect(run.output).toContain(`by the user ferry runs as (uid ${runner.uid})`);
    expect(run.output).toContain(`chown -R ${runner.uid} state/`);
    expect(run.output).not.toMatch(/internal error/i);
  });

  it('a state file it cannot read: STATE_READ_FAILED from plan', async () => {
    const p = await project();
    const stateDir = join(p.dir, 'state', 'pipelines', 'p');
    await mkdir(stateDir, { recursive: true, mode: 0o755 });
    await writeFile(join(stateDir, 'state.json'), '{}\n', { mode: 0o000 });
    const run = await ferry(p.dir, ['plan']);
    expect(run.code, `${runner.how}: ${run.output}`).toBe(1);
    expect(run.output).toContain('Cannot read state/pipelines/p/state.json: permission denied (EACCES).');
    expect(run.output).toContain('[STATE_READ_FAILED]');
    expect(run.output).toContain(`readable by the user ferry runs as (uid ${runner.uid})`);
    expect(run.output).not.toMatch(/internal error/i);
  });

  it('a TMPDIR it cannot write: RUN_TEMP_DIR_FAILED naming the directory', async () => {
    const p = await project();
    const closed = join(shared, 'closed-tmp');
    await mkdir(closed, { mode: 0o555 });
    const run = await ferry(p.dir, ['plan'], { TMPDIR: closed });
    expect(run.code, `${runner.how}: ${run.output}`).toBe(1);
    expect(run.output).toContain(`Cannot create the run's temp directory in ${closed} (EACCES).`);
    expect(run.output).toContain('RUN_TEMP_DIR_FAILED');
    expect(run.output).toContain(`it runs as uid ${runner.uid}`);
    expect(run.output).not.toMatch(/internal error/i);
  });
});

describe('local state on a path that is not a directory', () => {
  it('a write fails as a state problem that says so, with no stack trace', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ferry-state-file-'));
    await writeFile(join(dir, 'state'), 'not a directory\n');
    const store = new LocalBlobStore(join(dir, 'state'), 'state/');
    const write = await store.write('pipelines/p/lock.json', '{}').then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(write).toBeInstanceOf(FerryError);
    expect(write).toMatchObject({
      code: 'STATE_WRITE_FAILED',
      message: 'Cannot write state/pipelines/p/lock.json: a file stands where a directory must be (ENOTDIR).',
      context: { file: 'state/pipelines/p/lock.json', errorCode: 'ENOTDIR' },
    });
    expect((write as FerryError).hint).toContain('state.directory in ferry.yaml must name a directory');
    await rm(dir, { recursive: true, force: true });
  });
});
