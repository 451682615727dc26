/**
 * Local state or a temp dir that ferry cannot write, as a container meets it: the image runs as uid
 * 1000 (`node`), and a volume mounted at /project/state that root owns is not writable by it. Each case
 * must end as a problem with its code, the file and what to do, never as "internal error" with a stack
 * trace (which is how it ended before). The real permission cases run the built CLI as uid 1000, which
 * needs root to start it: CI runs as root; elsewhere they run only as root. The case that does not
 * need permissions (a file where the state directory must be) runs everywhere.
 */
import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FerryError } from '../../../engine/errors/ferry-error.js';
import { LocalBlobStore } from '../../../engine/state/local-blob-store.js';
import { CLI_PROJECT_ENV } from '../../harness/cli-project.js';
import { startS3Server, type S3TestServer } from '../../harness/s3-server.js';
import { uniqueBucket } from '../../harness/unique-bucket.js';

const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'bin', 'ferry.js');
/** The container's user (Dockerfile: USER node). */
const CONTAINER_UID = 1000;
const isRoot = process.getuid?.() === 0;
const onCi = process.env['CI'] === 'true';

let server: S3TestServer;
/** World-readable, so uid 1000 can reach the project (mkdtemp makes 0700 directories). */
let shared: string;
/** A temp dir uid 1000 can write, as the container's /tmp (the tests' own TMPDIR is root's, 0700). */
let containerTmp: string;
beforeAll(async () => {
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
  const input = uniqueBucket('in');
  const output = uniqueBucket('out');
  await server.createBucket(input);
  await server.createBucket(output);
  const dir = await mkdtemp(join(shared, 'project-'));
  await mkdir(join(dir, 'pipelines'));
  await writeFile(
    join(dir, 'ferry.yaml'),
    [
      'version: 1',
      'connections:',
      '  s3:',
      `    endpoint: ${server.endpoint}`,
      '    force_path_style: true',
      '    auth: {kind: static, access_key_id: "${env:K}", secret_access_key: "${env:S}"}',
      '',
    ].join('\n'),
  );
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

/** `ferry ARGS` in `cwd` as the container's uid, with the environment given. */
function ferryAsContainerUser(
  cwd: string,
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd,
      uid: CONTAINER_UID,
      gid: CONTAINER_UID,
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

describe.runIf(isRoot || onCi)('as the container user (uid 1000)', () => {
  it('a state directory it cannot write: STATE_WRITE_FAILED naming the file, the uid and the fix', async () => {
    const p = await project();
    await mkdir(join(p.dir, 'state'), { mode: 0o755 }); // owned by root, as a root-owned volume is
    const run = await ferryAsContainerUser(p.dir, ['apply']);
    expect(run.code, run.output).toBe(1);
    expect(run.output).toContain('Cannot write state/pipelines/p/lock.json: permission denied (EACCES).');
    expect(run.output).toContain('[STATE_WRITE_FAILED]');
    expect(run.output).toContain(`by the user ferry runs as (uid ${CONTAINER_UID})`);
    expect(run.output).toContain(`chown -R ${CONTAINER_UID} state/`);
    expect(run.output).not.toMatch(/internal error/i);
  });

  it('a state file it cannot read: STATE_READ_FAILED from plan', async () => {
    const p = await project();
    await mkdir(join(p.dir, 'state', 'pipelines', 'p'), { recursive: true });
    await writeFile(join(p.dir, 'state', 'pipelines', 'p', 'state.json'), '{}\n', { mode: 0o600 });
    await chmod(join(p.dir, 'state'), 0o755);
    await chmod(join(p.dir, 'state', 'pipelines'), 0o755);
    await chmod(join(p.dir, 'state', 'pipelines', 'p'), 0o755);
    const run = await ferryAsContainerUser(p.dir, ['plan']);
    expect(run.code, run.output).toBe(1);
    expect(run.output).toContain('Cannot read state/pipelines/p/state.json: permission denied (EACCES).');
    expect(run.output).toContain('[STATE_READ_FAILED]');
    expect(run.output).toContain('readable by the user ferry runs as');
    expect(run.output).not.toMatch(/internal error/i);
  });

  it('a TMPDIR it cannot write: RUN_TEMP_DIR_FAILED naming the directory', async () => {
    const p = await project();
    const closed = await mkdtemp(join(tmpdir(), 'ferry-closed-')); // 0700, root's
    const run = await ferryAsContainerUser(p.dir, ['plan'], { TMPDIR: closed });
    expect(run.code, run.output).toBe(1);
    expect(run.output).toContain(`Cannot create the run's temp directory in ${closed} (EACCES).`);
    expect(run.output).toContain('RUN_TEMP_DIR_FAILED');
    expect(run.output).toContain(`it runs as uid ${CONTAINER_UID}`);
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
