/**
 * `ferry check [--connection NAME]`: tests each connection the way the pipelines will use it —
 * credentials, buckets, list and read permissions by prefix, clock skew — without writing data
 * (unless --write-test). Exit 0 when nothing failed (warnings allowed), 1 otherwise.
 */
import { ExitCode } from '../../errors/exit-codes.js';
import { countChecks, renderConnectionChecks } from '../../report/render-connection-check.js';
import { checkConnections } from '../../run/check-connections.js';
import { UsageError, type CommandSpec } from '../command.js';
import { loadValidProject } from '../load-valid-project.js';

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export const checkCommand: CommandSpec = {
  name: 'check',
  summary:
    'Test each connection: credentials, buckets, list/read (and with --write-test write) access, clock skew.',
  usage: 'ferry check [--connection NAME [--bucket NAME…]] [--write-test] [--project FILE]',
  description:
    'For every connection (or the one named): resolves its credentials, then for each bucket and prefix\n' +
    'the pipelines use runs HeadBucket, ListObjectsV2 (max-keys 1, with the prefix) and a GetObject of\n' +
    'the first byte of an object found there, and compares the server\u2019s Date header with this clock.\n' +
    'Write access cannot be seen without writing, so it is "not tested" unless --write-test puts and\n' +
    'deletes a .ferry-check-<uuid> object in each sink and state folder (the delete needs\n' +
    's3:DeleteObject, which `ferry policy` does not grant there: a left-over object is named).',
  options: {
    project: { type: 'string', short: 'p', description: 'Project file.', default: 'ferry.yaml' },
    connection: { type: 'string', short: 'c', description: 'Only this connection.' },
    bucket: {
      type: 'string',
      multiple: true,
      description: 'With --connection: also test this bucket (listing and reading at its root; repeatable).',
    },
    'write-test': {
      type: 'boolean',
      description: 'Put and delete a .ferry-check-<uuid> object in every sink and state folder.',
    },
  },
  examples: ['ferry check', 'ferry check --connection vendor', 'ferry check --write-test'],
  run: async (context) => {
    const { values, output } = context;
    const loaded = loadValidProject(context);
    if (!loaded) return ExitCode.invalidConfig;
    const connection = typeof values['connection'] === 'string' ? values['connection'] : undefined;
    const names = Object.keys(loaded.project.connections);
    if (connection !== undefined && !names.includes(connection)) {
      throw new UsageError(
        `No connection named "${connection}"; connections: ${names.join(', ') || '(none)'}.`,
      );
    }
    const buckets = (values['bucket'] as string[] | undefined) ?? [];
    if (buckets.length && connection === undefined) throw new UsageError('--bucket needs --connection NAME.');
    const invalid = buckets.filter((b) => !BUCKET.test(b));
    if (invalid.length) throw new UsageError(`Not a bucket name: ${invalid.join(', ')}.`);
    if (names.length === 0) {
      output.stdout(
        `${loaded.projectPath ?? 'ferry.yaml'} defines no connection: there is nothing to check.\n`,
      );
      return ExitCode.ok;
    }
    const checks = await checkConnections({
      project: loaded.project,
      pipelines: loaded.pipelines,
      env: context.env,
      ...(connection !== undefined ? { connection } : {}),
      buckets,
      writeTest: values['write-test'] === true,
      ...(context.signal ? { signal: context.signal } : {}),
    });
    output.stdout(renderConnectionChecks(checks, { color: output.color }));
    return countChecks(checks).failed > 0 ? ExitCode.failure : ExitCode.ok;
  },
};
