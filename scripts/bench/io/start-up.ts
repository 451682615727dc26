/**
 * Scenario: start-up of the built CLI. `ferry --help` and `ferry validate pipelines/` (the examples),
 * each against `node -e 0` in the same run, interleaved. The targets were set on an idle
 * machine where `node -e 0` took 0.11 s (--help ≤ 150 ms, validate ≤ 1 s), so they are judged here
 * as ratios to `node -e 0`: a busy machine slows all three alike.
 */
import type { BenchRow } from '../bench-row.js';
import { ferryCli } from './ferry-cli.js';
import { formatSeconds, interleave, median, roundRatio, runChecked } from './measure.js';

export interface StartUpOptions {
  repeat: number;
  workDir: string;
}

/** `node -e 0` on the idle machine the targets were set on. */
const IDLE_NODE_S = 0.11;
const TARGET_HELP_S = 0.15;
const TARGET_VALIDATE_S = 1;

export async function benchStartUp(options: StartUpOptions): Promise<BenchRow[]> {
  const cli = ferryCli();
  const node = () => runChecked(process.execPath, ['-e', '0']);
  const help = () => runChecked(cli.command, [...cli.args, '--help'], { cwd: cli.repo });
  const validate = () =>
    runChecked(cli.command, [...cli.args, 'validate', 'pipelines/', '--quiet'], { cwd: cli.repo });
  // One untimed round warms the file cache for all three.
  await node();
  await help();
  await validate();
  const [nodeS, helpS, validateS] = await interleave(options.repeat, [node, help, validate]);
  const base = median(nodeS ?? []);
  const row = (work: string, before: string, seconds: number, targetS: number): BenchRow => {
    const ratio = seconds / base;
    const targetRatio = targetS / IDLE_NODE_S;
    return {
      work,
      before,
      now: formatSeconds(seconds),
      reference: `node -e 0: ${formatSeconds(base)}`,
      ratio: roundRatio(ratio),
      target: `≤ ${formatSeconds(targetS)} idle (≤ ${targetRatio.toFixed(2)}× node -e 0)`,
      met: ratio <= targetRatio,
      note: `medians of ${options.repeat}; ratio: ferry / node -e 0 (0.11 s when idle)`,
    };
  };
  return [
    row('start-up: ferry --help', '0.73 s (6.6× node -e 0)', median(helpS ?? []), TARGET_HELP_S),
    row(
      'start-up: ferry validate pipelines/ (examples)',
      '1.3 s (11.8× node -e 0)',
      median(validateS ?? []),
      TARGET_VALIDATE_S,
    ),
  ];
}
