/**
 * The I/O and start-up scenarios (1,000 small files, S3 transfers against the AWS CLI and rclone,
 * CLI start-up), shared by `scripts/bench-io.ts` and `npm run bench`. `quick`: small sizes, one round.
 */
import type { BenchRow } from '../bench-row.js';
import { benchS3Transfer } from './s3-transfer.js';
import { benchSmallFiles } from './small-files.js';
import { benchStartUp } from './start-up.js';

export interface IoScenario {
  name: string;
  run: (options: { quick: boolean; repeat: number; workDir: string }) => Promise<BenchRow[]>;
}

export const IO_SCENARIOS: readonly IoScenario[] = [
  {
    name: 'start-up',
    run: ({ quick, repeat, workDir }) => benchStartUp({ repeat: quick ? 3 : repeat * 4, workDir }),
  },
  {
    name: 'small-files',
    run: ({ quick, repeat, workDir }) => benchSmallFiles({ files: quick ? 100 : 1000, repeat, workDir }),
  },
  {
    name: 'small-json-files',
    run: ({ quick, repeat, workDir }) =>
      benchSmallFiles({ files: quick ? 100 : 1000, format: 'ndjson', repeat, workDir }),
  },
  {
    name: 's3-transfer',
    run: ({ quick, repeat, workDir }) =>
      benchS3Transfer({
        largeBytes: quick ? 32 * 1024 * 1024 : 1024 * 1024 * 1024,
        smallObjects: quick ? 100 : 1000,
        repeat,
        workDir,
      }),
  },
];
