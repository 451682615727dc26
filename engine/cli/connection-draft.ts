/**
 * A connection drafted from command-line flags, for `ferry discover` on a machine without
 * ferry.yaml and for the connection `ferry init` writes: a region and the AWS credential chain, or
 * static keys read from environment variables (always for a custom endpoint). Only variable names
 * are taken, never key values.
 */
import { DEFAULT_KEY_ENV, type ConnectionDraft } from '../discover/render-connection-yaml.js';
import { UsageError, type CommandContext, type OptionSpec } from './command.js';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const CONNECTION_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;

export const CONNECTION_DRAFT_OPTIONS: Record<string, OptionSpec> = {
  endpoint: {
    type: 'string',
    description: 'A custom S3 endpoint (MinIO, R2, Ceph …); keys then come from the environment.',
  },
  region: { type: 'string', description: 'The region (default: AWS_REGION, else us-east-1).' },
  'access-key-env': {
    type: 'string',
    description: `The environment variable holding the access key id (default ${DEFAULT_KEY_ENV.accessKeyEnv}).`,
  },
  'secret-key-env': {
    type: 'string',
    description: `The environment variable holding the secret key (default ${DEFAULT_KEY_ENV.secretKeyEnv}).`,
  },
};

export const CONNECTION_DRAFT_FLAGS = Object.keys(CONNECTION_DRAFT_OPTIONS);

function flag(context: CommandContext, name: string): string | undefined {
  const value = context.values[name];
  return typeof value === 'string' ? value : undefined;
}

/**
 * The draft the flags describe. `staticKeys`: use keys from the environment even without an
 * endpoint or key flags (init), instead of the AWS chain (discover on a fresh machine).
 */
export function connectionDraftFromFlags(
  context: CommandContext,
  options: { name: string; staticKeys: boolean },
): ConnectionDraft {
  for (const name of ['access-key-env', 'secret-key-env']) {
    const value = flag(context, name);
    if (value !== undefined && !ENV_NAME.test(value)) {
      throw new UsageError(
        `--${name} takes the name of an environment variable, not a key (got "${value.slice(0, 4)}…").`,
      );
    }
  }
  const accessKeyEnv = flag(context, 'access-key-env');
  const secretKeyEnv = flag(context, 'secret-key-env');
  if ((accessKeyEnv === undefined) !== (secretKeyEnv === undefined)) {
    throw new UsageError('Give --access-key-env and --secret-key-env together.');
  }
  if (!CONNECTION_NAME.test(options.name)) {
    throw new UsageError(
      `A connection name is lowercase letters, digits, "-" and "_" (got "${options.name}").`,
    );
  }
  const endpoint = flag(context, 'endpoint');
  const staticKeys = options.staticKeys || endpoint !== undefined || accessKeyEnv !== undefined;
  return {
    name: options.name,
    region:
      flag(context, 'region') ??
      context.env['AWS_REGION'] ??
      context.env['AWS_DEFAULT_REGION'] ??
      'us-east-1',
    ...(endpoint !== undefined ? { endpoint } : {}),
    auth: staticKeys
      ? {
          kind: 'static',
          accessKeyEnv: accessKeyEnv ?? DEFAULT_KEY_ENV.accessKeyEnv,
          secretKeyEnv: secretKeyEnv ?? DEFAULT_KEY_ENV.secretKeyEnv,
        }
      : { kind: 'default' },
  };
}
