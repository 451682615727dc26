/**
 * The I/O and start-up benchmarks (issue 12), runnable on their own:
 *
 *   npx tsx scripts/bench-io.ts                    every scenario, full size
 *   npx tsx scripts/bench-io.ts --only small-files one scenario (small-files, s3-transfer, start-up)
 *   npx tsx scripts/bench-io.ts --quick            small sizes, one round: a CI smoke under a minute
 *   npx tsx scripts/bench-io.ts --repeat 5         rounds per side (medians are reported)
 *
 * Each scenario interleaves ferry with its references in the same run and reports medians, so the
 * ratios hold on a busy machine even when the seconds do not. Needs the built CLI (`npm run build`).
 * Exits non-zero only when a scenario itself fails, never because a target was missed.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { BenchRow } from './bench/bench-row.js';
import { IO_SCENARIOS as SCENARIOS } from './bench/io/io-scenarios.js';
import { table } from './bench/report.js';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      only: { type: 'string', multiple: true },
      quick: { type: 'boolean', default: false },
      repeat: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log('usage: npx tsx scripts/bench-io.ts [--only NAME…] [--quick] [--repeat N]');
    console.log(`scenarios: ${SCENARIOS.map((s) => s.name).join(', ')}`);
    return;
  }
  const only = values.only ?? [];
  const unknown = only.filter((name) => !SCENARIOS.some((s) => s.name === name));
  if (unknown.length > 0) throw new Error(`unknown scenario ${unknown.join(', ')}`);
  const repeat = Number(values.repeat ?? (values.quick ? '1' : '3'));
  if (!Number.isInteger(repeat) || repeat < 1) throw new Error('--repeat must be a positive integer');
  const workDir = await mkdtemp(join(tmpdir(), 'ferry-bench-io-'));
  const rows: BenchRow[] = [];
  try {
    for (const scenario of SCENARIOS) {
      if (only.length > 0 && !only.includes(scenario.name)) continue;
      console.error(`[bench-io] ${scenario.name}…`);
      rows.push(...(await scenario.run({ quick: values.quick, repeat, workDir })));
    }
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
  console.log(
    table(
      ['work', 'before', 'now', 'reference', 'ratio', 'target', 'met', 'note'],
      rows.map((r) => [
        r.work,
        r.before,
        r.now,
        r.reference,
        r.ratio === undefined ? '' : r.ratio.toFixed(2),
        r.target,
        r.met ? 'yes' : 'no',
        r.note ?? '',
      ]),
    ),
  );
}

await main();
