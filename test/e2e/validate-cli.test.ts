/**
 * `ferry validate` as users run it: the built CLI (bin/ferry.js → dist/) as a child process, in the
 * repository (the example project) and in temp copies of broken fixtures. Checks exit codes, which
 * stream the output goes to, and that each --format is what tools expect.
 */
import { execFile, execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin', 'ferry.js');
const FIXTURES = join(ROOT, 'test', 'fixtures', 'config');
// No credentials, no colour: the CLI must not need either to validate.
const ENV = { PATH: process.env['PATH'] ?? '', NO_COLOR: '1' };

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

function ferry(args: readonly string[], cwd: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd, env: { ...ENV, ...extraEnv } },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

function newestSourceMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSourceMtime(path));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/** Build dist/ only when it is missing or older than engine/ (a no-op on CI after `npm ci`). */
function ensureBuilt(): void {
  const main = join(ROOT, 'dist', 'cli', 'main.js');
  if (existsSync(main) && statSync(main).mtimeMs >= newestSourceMtime(join(ROOT, 'engine'))) return;
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  try {
    execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'pipe' });
  } catch (error) {
    const output = (error as { stdout?: Buffer }).stdout?.toString() ?? String(error);
    throw new Error(`npm run build failed:\n${output}`);
  }
}

const temps: string[] = [];

/** A private copy of a fixture, so the CLI runs in a directory no other test touches. */
function copyFixture(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `ferry-e2e-${name}-`));
  temps.push(dir);
  cpSync(join(FIXTURES, name), dir, { recursive: true });
  return dir;
}

beforeAll(() => {
  ensureBuilt();
});

afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

describe.concurrent('ferry validate (built CLI)', () => {
  it('accepts the example project: exit 0 and a success line', async ({ expect }) => {
    const result = await ferry(['validate'], ROOT);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^✔ \d+ files valid: \d+ pipelines, project ferry\.yaml\.\n$/);
  });

  it('accepts a directory of pipelines: ferry validate pipelines/', async ({ expect }) => {
    const result = await ferry(['validate', 'pipelines/'], ROOT);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^✔ \d+ files valid/);
  });

  it('prints nothing with --quiet when valid', async ({ expect }) => {
    const result = await ferry(['validate', '--quiet'], ROOT);
    expect(result).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it('exits 3 on a broken project, with the problem on stderr', async ({ expect }) => {
    const result = await ferry(['validate'], copyFixture('unknown-key-typo'));
    expect(result.code).toBe(3);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('pipelines/p.yaml');
    expect(result.stderr).toMatch(/^ {2}5:3 {2}error .*CONFIG_UNKNOWN_KEY$/m);
    expect(result.stderr).toMatch(/> 5 \| +bucekt: vendor-drops\n +\| +\^{6}\n/);
    expect(result.stderr).toMatch(/1 problem \(1 error, 0 warnings\)/);
  });

  it('exits 3 on problems in several files and lists them all', async ({ expect }) => {
    const result = await ferry(['validate'], copyFixture('duplicate-pipeline-names'));
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('CONFIG_DUPLICATE_PIPELINE');
    expect(result.stderr).toContain('pipelines/b.yaml');
  });

  it('exits 64 on an unknown flag', async ({ expect }) => {
    const result = await ferry(['validate', '--frobnicate'], ROOT);
    expect(result.code).toBe(64);
    expect(result.stderr).toContain('--frobnicate');
    expect(result.stdout).toBe('');
  });

  it('exits 64 on --format xml', async ({ expect }) => {
    const result = await ferry(['validate', '--format', 'xml'], ROOT);
    expect(result.code).toBe(64);
    expect(result.stderr).toContain('xml');
  });

  it('exits 64 on an unknown command', async ({ expect }) => {
    const result = await ferry(['valdiate'], ROOT);
    expect(result.code).toBe(64);
    expect(result.stderr).toContain('valdiate');
  });

  it('--format json prints parseable JSON with valid: false and the codes', async ({ expect }) => {
    const result = await ferry(['validate', '--format', 'json'], copyFixture('schedule-no-kind'));
    expect(result.code).toBe(3);
    const report = JSON.parse(result.stdout) as {
      format_version: number;
      valid: boolean;
      errors: number;
      problems: { code: string; at: { file: string; line: number; col: number } }[];
    };
    expect(report.format_version).toBe(1);
    expect(report.valid).toBe(false);
    expect(report.errors).toBe(1);
    expect(report.problems.map((p) => [p.code, p.at.file, p.at.line, p.at.col])).toEqual([
      ['CONFIG_MISSING_KEY', 'pipelines/p.yaml', 13, 1],
    ]);
  });

  it('--format json on a valid project says valid: true', async ({ expect }) => {
    const result = await ferry(['validate', '--format', 'json'], ROOT);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ valid: true, errors: 0, problems: [] });
  });

  it('--format github prints workflow annotations', async ({ expect }) => {
    const result = await ferry(['validate', '--format', 'github'], copyFixture('unknown-key-typo'));
    expect(result.code).toBe(3);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^::error file=pipelines\/p\.yaml,line=5,col=3,.*title=CONFIG_UNKNOWN_KEY::Unknown key/,
    );
  });

  it('masks every literal secret in code frames, also a second one on the same line', async ({ expect }) => {
    const dir = copyFixture('literal-secrets-one-line');
    const results = await Promise.all(
      ['text', 'json', 'github'].map((format) => ferry(['validate', '--format', format], dir)),
    );
    for (const result of results) {
      expect(result.code).toBe(3);
      const output = result.stdout + result.stderr;
      expect(output).toContain('CONFIG_LITERAL_SECRET');
      for (const secret of ['AKIAIOSFODNN7EXAMPLE', 'wJalrXUtnFEMI', 'EXAMPLEKEY']) {
        expect(output).not.toContain(secret);
      }
    }
  });

  it('refuses references that would print the environment, and never reads them', async ({ expect }) => {
    const canaries = {
      AWS_SECRET_ACCESS_KEY: 'canary-aws-9f3e1',
      VENDOR_SECRET: 'canary-vendor-77d2',
      DELIMITER: ';',
    };
    const result = await ferry(['validate'], copyFixture('reference-not-allowed'), canaries);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('CONFIG_REFERENCE_NOT_ALLOWED');
    for (const value of ['canary-aws-9f3e1', 'canary-vendor-77d2']) {
      expect(result.stdout + result.stderr).not.toContain(value);
    }
  });

  it('--help and validate --help exit 0 and describe the options', async ({ expect }) => {
    const [main, validate, short] = await Promise.all([
      ferry(['--help'], ROOT),
      ferry(['validate', '--help'], ROOT),
      ferry(['validate', '-h'], ROOT),
    ]);
    expect(main.code).toBe(0);
    expect(main.stdout).toMatch(/^ {2}validate {2,}/m);
    expect(main.stdout).toContain('Exit codes');
    expect(validate.code).toBe(0);
    for (const option of ['--project', '--format', '--quiet']) expect(validate.stdout).toContain(option);
    expect(validate.stdout).toContain('text|json|github');
    expect(short).toEqual(validate);
  });
});
