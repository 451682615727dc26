/**
 * Names for per-call DuckDB objects (rejects tables, staging columns, sibling temp files). DuckDB's
 * rejects table accumulates across scans when a name is reused, so every load gets its own.
 */

import { randomUUID } from 'node:crypto';

/** 32 lowercase hex characters, safe in identifiers and file names. */
export function createUniqueToken(): string {
  return randomUUID().replaceAll('-', '');
}
