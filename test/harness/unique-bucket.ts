/**
 * Every test gets its own bucket, so tests in a file cannot see each other's objects. Names follow the
 * DNS rules S3 enforces: 3-63 characters, lower-case letters, digits and hyphens.
 */

import { randomBytes } from 'node:crypto';

let counter = 0;

export function uniqueBucket(label = 'test'): string {
  counter += 1;
  const safeLabel =
    label
      .toLowerCase()
      .replace(/[^a-z0-9-]/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 30) || 'test';
  return `${safeLabel}-${counter}-${randomBytes(4).toString('hex')}`.slice(0, 63);
}
