/**
 * Start-up (issue 12): `ferry --help` needs no command's module graph, and commands that need neither
 * S3 nor DuckDB do not load them. Checked by what the built CLI process loaded (a module-resolution
 * hook and the CommonJS cache, recorded to a file at exit), never by how long it took.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

const HOOKS = `
import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  appendFileSync(process.env.FERRY_TEST_MODULES_FILE, resolved.url + '\\n');
  return resolved;
}
`;
const REGISTER = `
import { register, createRequire } from 'node:module';
import { appendFileSync } from 'node:fs';
register('./hooks.mjs', import.meta.url);
const cache = createRequire(import.meta.url).cache;
process.on('exit', () => appendFileSync(process.env.FERRY_TEST_MODULES_FILE, Object.keys(cache).join('\\n') + '\\n'));
// DuckDB runs in a worker thread for validate (engine/duckdb/run-duckdb-sync.ts): record each worker
// started (the module hooks above may run in one of their own, which ferry --help shows).
process.on('worker', () => appendFileSync(process.env.FERRY_TEST_MODULES_FILE, 'worker-thread\\n'));
`;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ferry-lazy-'));
  writeFileSync(join(dir, 'hooks.mjs'), HOOKS);
  writeFileSync(join(dir, 'register.mjs'), REGISTER);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the built CLI; returns every module it loaded (file URLs and paths), and `worker-thread` per worker. */
function loadedModules(args: readonly string[], name: string, exitCode = 0): string[] {
  const file = join(dir, `${name}.txt`);
  const result = spawnSync(
    process.execPath,
    ['--import', pathToFileURL(join(dir, 'register.mjs')).href, join(ROOT, 'bin', 'ferry.js'), ...args],
    {
      cwd: ROOT,
      env: { PATH: process.env['PATH'] ?? '', NO_COLOR: '1', FERRY_TEST_MODULES_FILE: file },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  expect(result.status, result.stderr.toString()).toBe(exitCode);
  return readFileSync(file, 'utf8').split('\n').filter(Boolean);
}

describe('lazy command loading', () => {
  it('ferry --help loads neither the AWS SDK nor DuckDB, nor any command module', () => {
    const modules = loadedModules(['--help'], 'help');
    // The recording itself works: the entry point is among what it saw.
    expect(modules.some((m) => m.endsWith('/dist/cli/main.js'))).toBe(true);
    expect(modules.filter((m) => m.includes('@aws-sdk/') || m.includes('@duckdb/'))).toEqual([]);
    expect(modules.filter((m) => m.includes('/dist/cli/commands/'))).toEqual([]);
  });

  it('ferry validate of the examples loads neither the AWS SDK, nor DuckDB, nor ajv', () => {
    const modules = loadedModules(['validate', 'pipelines/', '--quiet'], 'validate');
    expect(modules.some((m) => m.endsWith('/dist/cli/commands/validate.js'))).toBe(true);
    expect(modules.filter((m) => m.includes('@aws-sdk/') || m.includes('@smithy/'))).toEqual([]);
    // Their declared types are common ones (no DuckDB needed to vouch for them), and the schemas'
    // validators are generated code (only ajv's small runtime helpers are loaded, not ajv itself).
    expect(modules.filter((m) => m.includes('@duckdb/'))).toEqual([]);
    const workers = (list: string[]) => list.filter((m) => m === 'worker-thread').length;
    expect(workers(modules)).toBe(workers(loadedModules(['--help'], 'help-workers')));
    expect(
      modules.filter((m) => /\/node_modules\/ajv\/dist\/(ajv|core|compile\/index)\.js$/.test(m)),
    ).toEqual([]);
  });

  it('ferry plan loads neither the mail client nor the logger (apply only), nor DuckDB before a listing', () => {
    // The examples' connections take their keys from variables that are not set here: every pipeline
    // fails before it lists, after the whole plan path (runProject) was loaded.
    const modules = loadedModules(['plan', '--quiet'], 'plan', 1);
    expect(modules.some((m) => m.endsWith('/dist/run/run-project.js'))).toBe(true);
    expect(modules.some((m) => m.endsWith('/dist/steps/fetch-step.js'))).toBe(true);
    expect(modules.filter((m) => /\/node_modules\/(nodemailer|pino|@duckdb)\//.test(m))).toEqual([]);
  });
});
