/**
 * Endpoint safety for S3 connections (and an assumed role's STS endpoint): a valid http(s) URL, no
 * credentials inside it, no link-local or instance-metadata address in any spelling (decimal, hex or
 * octal IPv4, IPv4-mapped IPv6, `instance-data`, `metadata.google.internal`, fd00:ec2::254), and never
 * AWS credentials (the default chain, or an assumed role's session) towards a custom endpoint unless
 * `allow_custom_endpoint` says so. Names that only resolve to such an address are refused at run time
 * (engine/io/s3/guard-endpoint-host.ts).
 */
import { isForbiddenHost } from '../net/metadata-address.js';
import type { RuleIssue } from './rule-issue.js';
import type { Connection } from './model.js';

type At = (path: string) => { file: string; pointer: string };

/** Checks one endpoint URL (the connection's or auth.sts_endpoint), pushing its problems. */
function checkEndpointUrl(
  connection: Connection,
  endpoint: string,
  path: string,
  issues: RuleIssue[],
  at: At,
): void {
  const label = path === '/endpoint' ? 'the endpoint' : `auth.${path.split('/').pop() ?? ''}`;
  // The endpoint may come from ${env:…}: never echo it, it could hold credentials.
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    issues.push({
      code: 'CONFIG_INVALID_VALUE',
      severity: 'error',
      message: `Connection "${connection.name}": ${label} is not a valid URL.`,
      hint: 'Write a URL such as https://s3.example.com or http://127.0.0.1:9000.',
      ...at(path),
    });
    return;
  }
  if (url.username || url.password) {
    issues.push({
      code: 'CONFIG_CREDENTIALS_IN_URL',
      severity: 'error',
      message: `Connection "${connection.name}": ${label} URL contains credentials.`,
      hint: 'Remove user:password from the URL and use auth: {kind: static, access_key_id: "${env:…}", secret_access_key: "${env:…}"}.',
      ...at(path),
    });
  }
  // url.hostname has IPv4 in dotted form already (2852039166, 0xa9fea9fe, 0251.0376.0251.0376 → 169.254.169.254).
  if (isForbiddenHost(url.hostname)) {
    issues.push({
      code: 'CONFIG_FORBIDDEN_ENDPOINT',
      severity: 'error',
      message: `Connection "${connection.name}": ${label} is a link-local / instance-metadata address.`,
      hint: 'Point the endpoint at an S3-compatible service, never at a metadata service.',
      ...at(path),
    });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    issues.push({
      code: 'CONFIG_INVALID_VALUE',
      severity: 'error',
      message: `Connection "${connection.name}": ${label} must use http or https.`,
      ...at(path),
    });
  }
}

function awsCredentialsToCustomEndpoint(
  connection: Connection,
  what: string,
  where: string,
  path: string,
  at: At,
): RuleIssue {
  return {
    code: 'CONFIG_DEFAULT_CHAIN_CUSTOM_ENDPOINT',
    severity: 'error',
    message: `Connection "${connection.name}" would send ${what} to ${where}.`,
    hint: 'ferry never sends AWS credentials to a non-AWS endpoint: use auth {kind: static} with keys given by reference, or, if the endpoint really is AWS (a VPC endpoint, FIPS), set allow_custom_endpoint: true.',
    ...at(path),
  };
}

export function checkConnection(connection: Connection, issues: RuleIssue[]): void {
  const at: At = (path) => ({ file: connection.origin.file, pointer: connection.origin.pointer + path });
  const { auth } = connection;
  if (connection.endpoint !== undefined) {
    checkEndpointUrl(connection, connection.endpoint, '/endpoint', issues, at);
    if (auth.kind === 'default' && !auth.allowCustomEndpoint) {
      issues.push(
        awsCredentialsToCustomEndpoint(
          connection,
          'the default AWS credential chain',
          'its custom endpoint',
          '/auth',
          at,
        ),
      );
    }
    if (auth.kind === 'assume_role' && !auth.allowCustomEndpoint) {
      issues.push(
        awsCredentialsToCustomEndpoint(
          connection,
          'the assumed role’s AWS session credentials',
          'its custom endpoint',
          '/auth',
          at,
        ),
      );
    }
  }
  if (auth.kind === 'assume_role' && auth.stsEndpoint !== undefined) {
    checkEndpointUrl(connection, auth.stsEndpoint, '/auth/sts_endpoint', issues, at);
    if (auth.source.kind === 'default' && !auth.source.allowCustomEndpoint) {
      issues.push(
        awsCredentialsToCustomEndpoint(
          connection,
          'the default AWS credential chain',
          'its custom sts_endpoint',
          '/auth/sts_endpoint',
          at,
        ),
      );
    }
  }
}
