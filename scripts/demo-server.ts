/**
 * `npm run demo:server`: the demo's S3 server on its own, for a project made with `ferry init --demo`
 * (or for trying ferry by hand). Starts s3rver on 127.0.0.1:4568 (ferry.yaml's default demo
 * endpoint), creates the demo buckets, uploads the first day's sample files (`--days 2`: both
 * days), prints the variables to export, and serves until Ctrl-C. Objects live under
 * demo-data/server/ (removed at the next start).
 *
 *   npm run demo:server                     serve day 1 on port 4568
 *   npm run demo:server -- --days 2         day 1 and day 2 (the next day's drop)
 *   npm run demo:server -- --port 0         any free port
 */
import { mkdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { generateSampleData } from './demo/sample-data.js';
import { S3RVER_KEYS, startDemoS3Server } from './demo/s3-server.js';
import { createDemoBuckets, DEMO_BUCKETS, seedDemoDrop } from './demo/seed-demo-server.js';

process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] = 'true';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DATA_DIR = join(ROOT, 'demo-data', 'server');
/** The demo's sample data seed (scripts/demo.ts uses the same). */
const SEED = 20_240_501;

const USAGE = `Usage: npm run demo:server [-- --port N] [-- --days 1|2]

Serves the demo's sample files from an embedded S3 server until Ctrl-C, for a project made with
\`ferry init --demo\`.

  --port N    the port (default 4568, the demo connection's default endpoint; 0: any free port)
  --days N    1: the first day's drop (default); 2: also the next day's
  --help      this text
`;

function parse(): { port: number; days: number } | undefined {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '4568' },
      days: { type: 'string', default: '1' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) return undefined;
  const port = Number(values.port);
  const days = Number(values.days);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new Error(`--port ${values.port} is not a port`);
  if (days !== 1 && days !== 2) throw new Error('--days is 1 or 2');
  return { port, days };
}

async function main(): Promise<number> {
  let args: { port: number; days: number } | undefined;
  try {
    args = parse();
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
    return 64;
  }
  if (!args) {
    console.log(USAGE);
    return 0;
  }
  await rm(DATA_DIR, { recursive: true, force: true });
  await mkdir(DATA_DIR, { recursive: true });
  const server = await startDemoS3Server({ directory: DATA_DIR, port: args.port });
  try {
    await createDemoBuckets(server);
    const sample = generateSampleData({ seed: SEED, now: new Date() });
    const drops = args.days === 2 ? [sample.dayOne, sample.dayTwo] : [sample.dayOne];
    let files = 0;
    for (const drop of drops) await seedDemoDrop(server, drop, () => (files += 1));
    console.log(
      [
        `The demo S3 server is running at ${server.endpoint}, with ${files} sample files in s3://${DEMO_BUCKETS.source}.`,
        '',
        'In the project (ferry init --demo), export:',
        `  export FERRY_DEMO_ENDPOINT=${server.endpoint} FERRY_DEMO_ACCESS_KEY_ID=${S3RVER_KEYS.accessKeyId} FERRY_DEMO_SECRET_ACCESS_KEY=${S3RVER_KEYS.secretAccessKey}`,
        'then: ferry check && ferry validate && ferry plan && ferry apply',
        '',
        'Press Ctrl-C to stop it.',
      ].join('\n'),
    );
    await new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    });
    return 0;
  } finally {
    await server.stop();
  }
}

process.exitCode = await main();
