/**
 * The reference clients for the transfer scenario: the AWS CLI and rclone, pointed at the same s3rver
 * with s3rver's keys through their environment (no config files touched). Installed from Debian when
 * missing and the bench runs as root (`apt-get install -y awscli rclone`); otherwise left out.
 */
import { runProcess } from './measure.js';

export interface TransferTool {
  name: 'aws' | 'rclone';
  /** Copies a local file or directory to s3://bucket/key (a prefix when `recursive`). */
  put: (local: string, bucket: string, key: string, recursive: boolean) => [string, string[]];
  /** Copies s3://bucket/key (a prefix when `recursive`) to a local file or directory. */
  get: (bucket: string, key: string, local: string, recursive: boolean) => [string, string[]];
  env: NodeJS.ProcessEnv;
}

async function exists(command: string): Promise<boolean> {
  const result = await runProcess('sh', ['-c', `command -v ${command}`]).catch(() => undefined);
  return result?.code === 0;
}

async function ensureInstalled(): Promise<void> {
  const missing = [];
  if (!(await exists('aws'))) missing.push('awscli');
  if (!(await exists('rclone'))) missing.push('rclone');
  if (missing.length === 0 || process.getuid?.() !== 0) return;
  await runProcess('apt-get', ['install', '-y', ...missing], {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}

/** The environment without AWS_* settings of the machine (a CA bundle, a profile) that would apply. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_')));
}

/** The tools that are available (after trying to install the missing ones). */
export async function findTransferTools(endpoint: string): Promise<TransferTool[]> {
  await ensureInstalled();
  const tools: TransferTool[] = [];
  if (await exists('aws')) {
    const env = {
      ...cleanEnv(),
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_CONFIG_FILE: '/dev/null',
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    };
    const base = ['--endpoint-url', endpoint, '--only-show-errors', 's3', 'cp'];
    tools.push({
      name: 'aws',
      env,
      put: (local, bucket, key, recursive) => [
        'aws',
        [...base, local, `s3://${bucket}/${key}`, ...(recursive ? ['--recursive'] : [])],
      ],
      get: (bucket, key, local, recursive) => [
        'aws',
        [...base, `s3://${bucket}/${key}`, local, ...(recursive ? ['--recursive'] : [])],
      ],
    });
  }
  if (await exists('rclone')) {
    const env = {
      ...cleanEnv(),
      RCLONE_CONFIG: '/dev/null',
      RCLONE_CONFIG_BENCH_TYPE: 's3',
      RCLONE_CONFIG_BENCH_PROVIDER: 'Other',
      RCLONE_CONFIG_BENCH_ENV_AUTH: 'false',
      RCLONE_CONFIG_BENCH_ACCESS_KEY_ID: 'S3RVER',
      RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY: 'S3RVER',
      RCLONE_CONFIG_BENCH_ENDPOINT: endpoint,
      RCLONE_CONFIG_BENCH_REGION: 'us-east-1',
      RCLONE_CONFIG_BENCH_FORCE_PATH_STYLE: 'true',
    };
    // As many transfers as ferry's pools (rclone's default is 4).
    const flags = ['--s3-no-check-bucket', '--transfers', '16', '--checkers', '16'];
    tools.push({
      name: 'rclone',
      env,
      put: (local, bucket, key, recursive) => [
        'rclone',
        [recursive ? 'copy' : 'copyto', ...flags, local, `bench:${bucket}/${key}`],
      ],
      get: (bucket, key, local, recursive) => [
        'rclone',
        [recursive ? 'copy' : 'copyto', ...flags, `bench:${bucket}/${key}`, local],
      ],
    });
  }
  return tools;
}
