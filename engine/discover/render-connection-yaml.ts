/**
 * A connection block for ferry.yaml, written from what a newcomer has on a fresh machine: an AWS
 * region and the default credential chain (`aws configure`, AWS_PROFILE, SSO), or a custom endpoint
 * (MinIO, R2, Ceph …) with keys in environment variables. Keys appear only as `${env:NAME}`.
 * `ferry discover` without a project builds its client from exactly this text (through the config
 * checks), and prints it for the user to keep; `ferry init` writes it into the new ferry.yaml.
 */
import { commentText, indentLines, yamlString } from './yaml-text.js';

export interface ConnectionDraft {
  name: string;
  region: string;
  /** A custom S3-compatible endpoint (then keys must be static: never the AWS chain). */
  endpoint?: string;
  /** Keys from environment variables, or the AWS credential chain. */
  auth: { kind: 'static'; accessKeyEnv: string; secretKeyEnv: string } | { kind: 'default' };
  description?: string;
}

export const DEFAULT_KEY_ENV = {
  accessKeyEnv: 'AWS_ACCESS_KEY_ID',
  secretKeyEnv: 'AWS_SECRET_ACCESS_KEY',
} as const;

/** `name:` and its settings, at indentation 0 (to go under `connections:`). */
export function renderConnectionLines(draft: ConnectionDraft): string[] {
  const lines: string[] = [];
  if (draft.description !== undefined) lines.push(`description: ${yamlString(draft.description)}`);
  lines.push(`region: ${yamlString(draft.region)}`);
  if (draft.endpoint !== undefined) {
    lines.push(
      `endpoint: ${yamlString(draft.endpoint)}`,
      '# S3-compatible servers address buckets by path and mishandle the SDK\u2019s default checksums.',
      'force_path_style: true',
      'checksum: when_required',
    );
  }
  if (draft.auth.kind === 'static') {
    lines.push(
      'auth:',
      '  # Keys by reference only: set these variables where ferry runs (never write the values here).',
      ...(draft.endpoint === undefined
        ? ['  # Or `kind: default` for the AWS credential chain (profile, SSO, instance or pod role).']
        : []),
      '  kind: static',
      `  access_key_id: ${yamlString(`\${env:${draft.auth.accessKeyEnv}}`)}`,
      `  secret_access_key: ${yamlString(`\${env:${draft.auth.secretKeyEnv}}`)}`,
    );
  } else {
    lines.push(
      'auth:',
      '  # The AWS credential chain: environment, ~/.aws profile or SSO, web identity, instance role.',
      '  kind: default',
    );
  }
  return [`${draft.name}:`, ...indentLines(lines, 2)];
}

/** A minimal ferry.yaml around one connection. */
export function renderConnectionProject(
  draft: ConnectionDraft,
  options: { schemaPath: string; comment?: readonly string[] },
): string {
  return [
    `# yaml-language-server: $schema=${options.schemaPath}`,
    ...(options.comment ?? []).map((line) => `# ${commentText(line)}`.trimEnd()),
    'version: 1',
    '',
    'connections:',
    ...indentLines(renderConnectionLines(draft), 2),
    '',
  ].join('\n');
}
