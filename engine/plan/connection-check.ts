/**
 * What `ferry check` finds, as data (run/check-connections.ts finds it, report/ renders it): per
 * connection, items for its credentials and clock and, per bucket and prefix, HeadBucket, list,
 * read and write. A secret never appears: auth is described by its references.
 */

export type CheckStatus = 'ok' | 'warning' | 'failed' | 'skipped';
export type CheckKind = 'credentials' | 'clock' | 'bucket' | 'list' | 'read' | 'write';
export type LocationRole = 'source' | 'sink' | 'state' | 'requested';

export interface CheckItem {
  kind: CheckKind;
  status: CheckStatus;
  detail: string;
  bucket?: string;
  prefix?: string;
  role?: LocationRole;
  code?: string;
  hint?: string;
}

export interface ConnectionCheck {
  connection: string;
  endpoint?: string;
  /** How it signs in, by reference: never a secret. */
  auth: string;
  items: CheckItem[];
}
