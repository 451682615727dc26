/**
 * PGP settings that need each other: `source.decrypt` needs the source connection's private key
 * (and public keys to check signatures against when they are required); `sink.encrypt` needs the
 * sink connection's public keys (and its private key to sign). Whether a recipient names one of
 * those keys is known only once the keys are read, at run time (PGP_RECIPIENT_UNKNOWN).
 */
import type { RuleIssue } from './rule-issue.js';
import type { Pipeline, Project } from './model.js';

type At = (
  path: string,
  target?: 'key' | 'value',
) => { file: string; pointer: string; target?: 'key' | 'value' };

export function checkPgpRules(
  pipeline: Pipeline,
  project: Project | undefined,
  issues: RuleIssue[],
  at: At,
): void {
  const { source, sink } = pipeline;
  const missing = (connection: string, what: string, use: string, path: string) => ({
    code: 'CONFIG_PGP_KEY_MISSING',
    severity: 'error' as const,
    message: `${use} needs ${what}, but connection "${connection}" has none in ferry.yaml.`,
    hint: `Add pgp: {${what === 'pgp.public_keys' ? 'public_keys: [keys/partner.asc]' : 'private_key: "${file:/run/secrets/ferry-pgp.asc}", passphrase: "${env:FERRY_PGP_PASSPHRASE}"'}} to connections.${connection}.`,
    ...at(path, 'key'),
  });
  if (source.kind === 's3' && source.decrypt) {
    const pgp = project?.connections[source.connection]?.pgp;
    const known = project?.connections[source.connection] !== undefined;
    if (known && !pgp?.privateKey) {
      issues.push(missing(source.connection, 'pgp.private_key', 'source.decrypt', '/source/decrypt'));
    }
    if (known && source.decrypt.requireSignature && !pgp?.publicKeys.length) {
      issues.push(
        missing(
          source.connection,
          'pgp.public_keys',
          'source.decrypt.require_signature',
          '/source/decrypt/require_signature',
        ),
      );
    }
  }
  if (sink.kind === 's3' && sink.encrypt) {
    const pgp = project?.connections[sink.connection]?.pgp;
    const known = project?.connections[sink.connection] !== undefined;
    if (known && !pgp?.publicKeys.length) {
      issues.push(missing(sink.connection, 'pgp.public_keys', 'sink.encrypt', '/sink/encrypt/recipients'));
    }
    if (known && sink.encrypt.sign && !pgp?.privateKey) {
      issues.push(missing(sink.connection, 'pgp.private_key', 'sink.encrypt.sign', '/sink/encrypt/sign'));
    }
  }
}
