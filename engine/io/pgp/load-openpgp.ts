/**
 * openpgp, loaded on first use: it is a large module (about 30 ms to load here) that only pipelines
 * with `decrypt` or `encrypt` need, so `ferry plan` and `apply` of every other pipeline never pay it.
 */
import type * as OpenPgp from 'openpgp';

let loading: Promise<typeof OpenPgp> | undefined;

export function loadOpenpgp(): Promise<typeof OpenPgp> {
  loading ??= import('openpgp');
  return loading;
}
