/**
 * Cross-check with an independent S3 client: what ferry reports it wrote (keys and sizes) is what the
 * AWS CLI lists and downloads, byte for byte. CI installs awscli, so there a missing `aws` fails the
 * test; locally it is skipped with a message.
 */
import { execFile, execFileSync } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { at, startEngineFixture, type EngineFixture } from './engine-fixture.js';

function findAws(): string | undefined {
  try {
    execFileSync('aws', ['--version'], { stdio: 'pipe', timeout: 30_000 });
    return 'aws';
  } catch {
    return undefined;
  }
}

const aws = findAws();
const onCi = process.env['CI'] !== undefined && process.env['CI'] !== '' && process.env['CI'] !== 'false';
if (aws === undefined && !onCi) {
  console.warn(
    'aws-cli.test.ts: skipped — `aws` (awscli) is not on PATH. Install it to run this cross-check.',
  );
}

let fx: EngineFixture;
beforeAll(async () => {
  fx = await startEngineFixture();
});
afterAll(async () => {
  await fx?.stop();
});

function runAws(args: readonly string[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    execFile(
      aws ?? 'aws',
      ['--endpoint-url', fx.server.endpoint, ...args],
      {
        encoding: 'buffer',
        timeout: 60_000,
        env: {
          ...process.env,
          AWS_ACCESS_KEY_ID: 'S3RVER',
          AWS_SECRET_ACCESS_KEY: 'S3RVER',
          AWS_DEFAULT_REGION: 'us-east-1',
          AWS_CONFIG_FILE: '/dev/null',
          AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
          AWS_PAGER: '',
        },
      },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`aws ${args.join(' ')} failed: ${error.message}\n${stderr.toString()}`));
        else resolve(stdout);
      },
    );
  });
}

it.runIf(aws !== undefined || onCi)('the AWS CLI lists and fetches exactly what ferry reported', async () => {
  expect(aws, 'awscli must be installed on CI (apt-get install -y awscli)').toBeDefined();
  const project = await fx.createProject();
  await project.writePipeline('p', {
    name: 'p',
    source: { prefix: 'in/', format: { kind: 'csv', delimiter: ';' } },
    sink: {
      directory: 'exports/acme/',
      filename: 'accounts-{{timestamp}}-{{part}}',
      format: 'csv',
      compress: 'gzip',
      max_rows_per_file: 2,
    },
  });
  await project.put('in/accounts.csv', 'id;name\n1;Ada\n2;"Bob; Jr"\n3;Zoë\n');
  const plan = await project.run('apply', { now: at('2024-05-01T06:00:00Z') });
  expect(plan.error).toBeUndefined();
  expect(plan.outputs.map((o) => o.key)).toEqual([
    'exports/acme/accounts-20240501060000-1.csv.gz',
    'exports/acme/accounts-20240501060000-2.csv.gz',
  ]);

  const listing = (await runAws(['s3', 'ls', '--recursive', `s3://${project.sinkBucket}/`]))
    .toString('utf8')
    .trim()
    .split('\n')
    .map((line) => {
      // "2024-05-01 06:00:00        123 exports/acme/…"
      const match = /^\S+\s+\S+\s+(\d+)\s+(.+)$/.exec(line.trim());
      return { key: match?.[2] ?? line, size: Number(match?.[1]) };
    });
  expect(listing).toEqual(plan.outputs.map((o) => ({ key: o.key, size: o.bytes })));

  for (const output of plan.outputs) {
    const viaCli = await runAws(['s3', 'cp', `s3://${project.sinkBucket}/${output.key}`, '-']);
    expect(viaCli.length).toBe(output.bytes);
    expect(viaCli.equals(await project.get(output.key))).toBe(true);
  }
});
