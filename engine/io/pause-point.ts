/**
 * Pause points, for tests that need real processes to meet in a given order: a gate, not a sleep.
 * With FERRY_PAUSE_AT=<point>[,<point>…] and FERRY_PAUSE_DIR=<dir> in the environment, a process
 * that reaches a listed point creates `<dir>/<point>.reached` (holding its pid) and waits until
 * `<dir>/<point>.go` exists. Without the variables (every normal run) each call is one environment
 * lookup. Like FERRY_FAILPOINT, only ever set for a ferry child process.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

export const PAUSE_POINTS = [
  /** apply is about to take the pipeline's lock (state not read yet). */
  'before-lock',
  /** apply holds the pipeline's lock; nothing else done. */
  'after-lock',
] as const;

export type PausePoint = (typeof PAUSE_POINTS)[number];

const POLL_MS = 20;

export async function pausePoint(name: PausePoint): Promise<void> {
  const points = process.env['FERRY_PAUSE_AT'];
  const dir = process.env['FERRY_PAUSE_DIR'];
  if (points === undefined || dir === undefined || !points.split(',').includes(name)) return;
  writeFileSync(join(dir, `${name}.reached`), String(process.pid));
  const go = join(dir, `${name}.go`);
  while (!existsSync(go)) await delay(POLL_MS);
}
