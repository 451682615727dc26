// Every spelling of a link-local / metadata address that an endpoint URL can carry is refused; ordinary
// hosts, loopback (the test servers) and private addresses are not.
import { describe, expect, it } from 'vitest';
import { isForbiddenAddress, isForbiddenHost } from '../../../engine/net/metadata-address.js';

const hostOf = (url: string) => new URL(url).hostname;

describe('isForbiddenHost (URL hosts as new URL gives them)', () => {
  it.each([
    'http://169.254.169.254/latest',
    'http://169.254.170.2/v2/credentials',
    'http://2852039166/',
    'http://0xa9fea9fe/',
    'http://0251.0376.0251.0376/',
    'http://169.254.43518/',
    'http://[::ffff:169.254.169.254]/',
    'http://[::ffff:a9fe:a9fe]/',
    'http://[::169.254.169.254]/',
    'http://[64:ff9b::169.254.169.254]/',
    'http://[fd00:ec2::254]/',
    'http://[fd00:ec2::23]/',
    'http://[fe80::1]/',
    'http://100.100.100.200/',
    'http://instance-data/',
    'http://INSTANCE-DATA./',
    'http://instance-data.ec2.internal/',
    'http://metadata.google.internal/',
    'http://metadata.google.internal./',
    'http://metadata.goog/',
  ])('refuses %s', (url) => {
    expect(isForbiddenHost(hostOf(url))).toBe(true);
  });

  it.each([
    'http://127.0.0.1:9000',
    'http://[::1]:9000',
    'http://10.0.0.5/',
    'http://169.255.0.1/',
    'https://s3.eu-west-1.amazonaws.com',
    'https://minio.internal:9000',
    'http://instance-database.example.com/',
    'http://metadata.example.com/',
  ])('allows %s', (url) => {
    expect(isForbiddenHost(hostOf(url))).toBe(false);
  });
});

describe('isForbiddenAddress (what a resolver returns)', () => {
  it('checks resolved IPv4 and IPv6 addresses, with or without a zone', () => {
    expect(isForbiddenAddress('169.254.169.254')).toBe(true);
    expect(isForbiddenAddress('::ffff:169.254.169.254')).toBe(true);
    expect(isForbiddenAddress('fe80::1%eth0')).toBe(true);
    expect(isForbiddenAddress('93.184.216.34')).toBe(false);
    expect(isForbiddenAddress('not-an-address')).toBe(false);
  });
});
