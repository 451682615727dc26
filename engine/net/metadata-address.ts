/**
 * Which hosts and addresses an S3 or STS endpoint must never be: link-local and cloud instance-metadata
 * services, where a request signed with ferry's credentials (or any request at all) would hand them to
 * whoever answers there. Pure: config checks the endpoint as written, io/s3 checks what the name
 * resolves to before the first request (see guard-endpoint-host.ts).
 */
import { BlockList, isIP } from 'node:net';

const FORBIDDEN = new BlockList();
// Link-local IPv4: the EC2/Azure/GCP metadata service (169.254.169.254), ECS task credentials
// (169.254.170.2), EKS Pod Identity (169.254.170.23). IPv4-mapped IPv6 forms (::ffff:a9fe:a9fe) match too.
FORBIDDEN.addSubnet('169.254.0.0', 16, 'ipv4');
// Alibaba Cloud's metadata service.
FORBIDDEN.addAddress('100.100.100.200', 'ipv4');
// Link-local IPv6, and AWS's IPv6 metadata/pod-identity range (fd00:ec2::254, fd00:ec2::23).
FORBIDDEN.addSubnet('fe80::', 10, 'ipv6');
FORBIDDEN.addSubnet('fd00:ec2::', 32, 'ipv6');
// 169.254.0.0/16 embedded in IPv6: IPv4-compatible (::a9fe:a9fe), NAT64 (64:ff9b::a9fe:a9fe), 6to4.
FORBIDDEN.addSubnet('::a9fe:0', 112, 'ipv6');
FORBIDDEN.addSubnet('64:ff9b::a9fe:0', 112, 'ipv6');
FORBIDDEN.addSubnet('2002:a9fe::', 32, 'ipv6');

/** Host names of metadata services (they resolve to one of the addresses above inside a cloud). */
const FORBIDDEN_NAMES = new Set(['metadata.google.internal', 'metadata.goog', 'instance-data']);

/** True when `address` (an IPv4 or IPv6 literal, without brackets) is link-local or a metadata service. */
export function isForbiddenAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const family = isIP(bare);
  if (family === 0) return false;
  return FORBIDDEN.check(bare, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * True when a URL's host (as `new URL(…).hostname` gives it: IPv4 forms such as 2852039166 or
 * 0xa9fea9fe already normalized, IPv6 in brackets) is a forbidden address or a metadata host name
 * (`instance-data`, `instance-data.ec2.internal`, `metadata.google.internal`, with or without a final dot).
 */
export function isForbiddenHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.+$/, '');
  if (isForbiddenAddress(host)) return true;
  return FORBIDDEN_NAMES.has(host) || host.startsWith('instance-data.');
}
