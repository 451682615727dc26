/**
 * Timing helpers shared by the I/O scenarios. On a shared 2-core machine absolute timings drift from
 * one minute to the next, so every scenario interleaves the sides it compares (a, b, a, b, …) and
 * reports medians of the same run; ratios are what can be compared, not seconds across runs.
 */
import { spawn } from 'node:child_process';
import { settleDisk } from '../settle-disk.js';

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of nothing');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? 0)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

/** Wall-clock seconds of `run`. */
export async function timeSeconds(run: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await run();
  return (performance.now() - start) / 1000;
}

/**
 * Runs each side `repeat` times, interleaved (side 1, side 2, …, side 1, …), and returns each
 * side's timings in seconds, in the order given. The disk is settled before each (settle-disk.ts).
 */
export async function interleave(
  repeat: number,
  sides: ReadonlyArray<(round: number) => Promise<unknown>>,
): Promise<number[][]> {
  const timings: number[][] = sides.map(() => []);
  for (let round = 0; round < repeat; round++) {
    for (const [index, side] of sides.entries()) {
      settleDisk();
      timings[index]?.push(await timeSeconds(() => side(round)));
    }
  }
  return timings;
}

export interface ProcessResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a process to its end; rejects when it cannot be started. The caller decides what a code means. */
export function runProcess(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-20_000)));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Runs a process and throws with its stderr unless it exits with one of `okCodes` (default 0). */
export async function runChecked(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; okCodes?: readonly number[] } = {},
): Promise<ProcessResult> {
  const result = await runProcess(command, args, options);
  if (!(options.okCodes ?? [0]).includes(result.code ?? -1)) {
    throw new Error(
      `${command} ${args.join(' ')} exited with ${String(result.code)}:\n${result.stderr.slice(-4_000)}`,
    );
  }
  return result;
}

/** Formats seconds for the table: 0.084 s → "84 ms", 2.31 s → "2.31 s". */
export function formatSeconds(value: number): string {
  return value < 1 ? `${Math.round(value * 1000)} ms` : `${value.toFixed(2)} s`;
}

/** Rounds a ratio to two decimals for the table. */
export function roundRatio(value: number): number {
  return Math.round(value * 100) / 100;
}
