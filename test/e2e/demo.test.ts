/**
 * `npm start` end to end: the newcomer's demo (scripts/demo.ts) runs the real CLI against an embedded
 * S3 server — validate → plan → apply, a second day's files → plan → apply, state list — over every
 * example pipeline in pipelines/, and exits 0.
 *
 * It runs in the repository itself (the demo project is ferry.yaml + pipelines/), so it resets the
 * gitignored state/pipelines/ and demo-data/ there, exactly as `npm start` does.
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
// Only a hang catcher (the demo took over 120 s on a loaded 2-core machine): the suite's own limit.
const TIMEOUT_MS = 600_000;

interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

function runDemo(): Promise<Result> {
  return new Promise((resolve, reject) => {
    const tsx = join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');
    const child = spawn(process.execPath, [tsx, 'scripts/demo.ts'], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: undefined },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, so a timeout takes down the demo and every ferry command it started.
      detached: true,
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const timer = setTimeout(() => {
      output += `\n[test] the demo did not finish within ${TIMEOUT_MS / 1000} s; killed.\n`;
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    }, TIMEOUT_MS - 5_000);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, output });
    });
  });
}

describe('npm start (the demo)', () => {
  it(
    'runs validate, plan, apply, then plan and apply on the next day over every example, and exits 0',
    async () => {
      const { code, signal, output } = await runDemo();
      // On failure, the demo's whole output is the most useful message.
      expect({ code, signal }, output).toEqual({ code: 0, signal: null });
      // NO_COLOR: no ANSI escapes from the demo or from ferry.
      expect(output).not.toContain('\u001b[');
      expect(
        output.match(/^Plan: \d+ objects? to write; rows: \d+ to add, \d+ to change, \d+ to delete\.$/gm),
        output,
      ).toHaveLength(2);
      expect(output.match(/^Apply complete! Objects: \d+ written; rows: /gm), output).toHaveLength(2);
      // Every example pipeline runs: none fails in either plan or apply.
      expect(output, output).not.toMatch(/^pipeline \S+\s+failed/m);
      expect(output).toMatch(/s3:\/\/ferry-exports holds \d+ objects, .* in total/);
      // The listing groups the objects by the pipeline that wrote them: every file-writing example.
      const listing = output.slice(output.indexOf('s3://ferry-exports holds'));
      for (const pipeline of [
        'custom-data-json-sequence',
        'vendor-accounts-csv',
        'vendor-events-tsv',
        'lytics-export-audience-csv',
        'lytics-export-audience-multi-csv',
        'lytics-export-audience-json',
        'lytics-export-activity',
        'vitally-users-update-only',
      ]) {
        expect(listing, output).toMatch(new RegExp(`^  ${pipeline}$`, 'm'));
      }
      // ferry state list at the end shows the datasets the imports keep.
      for (const dataset of ['organizations', 'accounts', 'users', 'nps_responses', 'tracks', 'activity']) {
        expect(output, output).toMatch(new RegExp(`^dataset ${dataset}: version \\d+`, 'm'));
      }
      expect(output).toContain('The S3 server is stopped.');
    },
    TIMEOUT_MS,
  );
});
