/**
 * GnuPG as an independent PGP implementation for interop tests (Debian package `gnupg`). Each
 * instance has its own temp homedir with the fixture keys of test/fixtures/pgp/ imported, runs gpg
 * in batch mode with the passphrase given on the command line (`--pinentry-mode loopback`, so no
 * pinentry can ever wait for a person), and kills its agent when stopped.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PGP_FIXTURES = fileURLToPath(new URL('../fixtures/pgp/', import.meta.url));
/** The passphrase of every fixture private key (test keys only; see test/fixtures/pgp/README.md). */
export const FIXTURE_PASSPHRASE = 'ferry-test-passphrase';

export type FixtureKey = 'ferry-ed25519' | 'partner-ed25519' | 'ferry-rsa' | 'partner-rsa' | 'weak-rsa1024';

/** Fingerprints of the fixture keys (primary key, as gpg prints them). */
export const FINGERPRINTS: Record<FixtureKey, string> = {
  'ferry-ed25519': 'F4F95F43F7CE5C14A37D67B39BB38307413B1E74',
  'partner-ed25519': 'BF0287A8862AD46FAEFE5BD51467560686B21D20',
  'ferry-rsa': '511C82E639FF8FE3DDEF14516ECEC9731E2BAE2A',
  'partner-rsa': 'AF7D9500C23C1CC44845FB6DF0F97973D9DCDA85',
  'weak-rsa1024': '3F9C8AF066606ECA0DD1E9F73B5F2DB232F7DC37',
};

export function email(key: FixtureKey): string {
  return `${key}@example.com`;
}

export function fixturePath(key: FixtureKey, part: 'pub' | 'sec'): string {
  return join(PGP_FIXTURES, `${key}.${part}.asc`);
}

export async function readFixture(key: FixtureKey, part: 'pub' | 'sec'): Promise<string> {
  return await readFile(fixturePath(key, part), 'utf8');
}

export interface GpgResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface GnuPg {
  home: string;
  /** gpg with the homedir and batch options; `--status-fd 1` puts machine-readable status on stdout. */
  run: (args: readonly string[]) => Promise<GpgResult>;
  /** Kills the agent and removes the homedir. */
  stop: () => Promise<void>;
}

/** Generous only as a guard against a hung gpg; a normal call takes well under a second. */
const GPG_GUARD_MS = 120_000;

function exec(command: string, args: readonly string[]): Promise<GpgResult> {
  return new Promise((resolve) => {
    execFile(
      command,
      [...args],
      { timeout: GPG_GUARD_MS, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

export async function startGnuPg(options: { secret: FixtureKey[]; public?: FixtureKey[] }): Promise<GnuPg> {
  const home = await mkdtemp(join(tmpdir(), 'ferry-gpg-'));
  const base = [
    '--homedir',
    home,
    '--batch',
    '--yes',
    '--no-tty',
    '--pinentry-mode',
    'loopback',
    '--passphrase',
    FIXTURE_PASSPHRASE,
    '--trust-model',
    'always',
  ];
  const run = (args: readonly string[]) => exec('gpg', [...base, ...args]);
  const files = [
    ...options.secret.map((k) => fixturePath(k, 'sec')),
    ...(options.public ?? []).map((k) => fixturePath(k, 'pub')),
  ];
  const imported = await run(['--import', ...files]);
  if (imported.code !== 0) throw new Error(`gpg --import failed: ${imported.stderr}`);
  return {
    home,
    run,
    stop: async () => {
      await exec('gpgconf', ['--homedir', home, '--kill', 'all']);
      await rm(home, { recursive: true, force: true });
    },
  };
}

/** The status lines of a gpg run (`--status-fd 1`), without the "[GNUPG:] " prefix. */
export function statusLines(result: GpgResult): string[] {
  return result.stdout
    .split('\n')
    .filter((line) => line.startsWith('[GNUPG:] '))
    .map((line) => line.slice('[GNUPG:] '.length));
}
