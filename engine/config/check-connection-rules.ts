/**
 * Endpoint safety for S3 connections: a valid http(s) URL, no credentials inside it, no link-local
 * or instance-metadata address, and never the default AWS credential chain towards a non-AWS endpoint.
 */
import type { RuleIssue } from './check-config-rules.js';
import type { Connection } from './model.js';

export function checkConnection(connection: Connection, issues: RuleIssue[]): void {
  const at = (path: string) => ({ file: connection.origin.file, pointer: connection.origin.pointer + path });
  if (connection.endpoint === undefined) return;
  // The endpoint may come from ${env:…}: never echo it, it could hold credentials.
  let url: URL | undefined;
  try {
    url = new URL(connection.endpoint);
  } catch {
    issues.push({
      code: 'CONFIG_INVALID_VALUE',
      severity: 'error',
      message: `Connection "${connection.name}": endpoint is not a valid URL.`,
      hint: 'Write a URL such as https://s3.example.com or http://127.0.0.1:9000.',
      ...at('/endpoint'),
    });
    return;
  }
  if (url.username || url.password) {
    issues.push({
      code: 'CONFIG_CREDENTIALS_IN_URL',
      severity: 'error',
      message: `Connection "${connection.name}": the endpoint URL contains credentials.`,
      hint: 'Remove user:password from the URL and use auth: {kind: static, access_key_id: "${env:…}", secret_access_key: "${env:…}"}.',
      ...at('/endpoint'),
    });
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (
    /^169\.254\./.test(host) ||
    /^fe80:/i.test(host) ||
    host === 'metadata.google.internal' ||
    host === 'fd00:ec2::254'
  ) {
    issues.push({
      code: 'CONFIG_FORBIDDEN_ENDPOINT',
      severity: 'error',
      message: `Connection "${connection.name}": the endpoint is a link-local / instance-metadata address.`,
      hint: 'Point the endpoint at an S3-compatible service, never at a metadata service.',
      ...at('/endpoint'),
    });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    issues.push({
      code: 'CONFIG_INVALID_VALUE',
      severity: 'error',
      message: `Connection "${connection.name}": the endpoint must use http or https.`,
      ...at('/endpoint'),
    });
  }
  if (connection.auth.kind === 'default') {
    issues.push({
      code: 'CONFIG_DEFAULT_CHAIN_CUSTOM_ENDPOINT',
      severity: 'error',
      message: `Connection "${connection.name}" has a custom endpoint but uses the default AWS credential chain.`,
      hint: 'ferry never sends your AWS credentials to a non-AWS endpoint; set auth to static keys given by reference.',
      ...at('/auth'),
    });
  }
}
