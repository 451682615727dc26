/**
 * Key timestamps are read in JavaScript (parseTimestamp) and mapping timestamps in DuckDB
 * (timezone(zone, TIMESTAMP)). A wall-clock time that a zone repeats or skips must resolve to the
 * same instant in both, in every zone, or one file's rows and its name would disagree.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quoteLiteral } from '../../../engine/duckdb/sql.js';
import { parseTimestamp } from '../../../engine/time/timestamp-format.js';
import { openTestSession, type DuckDbTestSession } from './duckdb-test-session.js';

let db: DuckDbTestSession;
beforeAll(async () => {
  db = await openTestSession();
});
afterAll(async () => {
  await db?.close();
});

const CASES: Array<[zone: string, wallClock: string]> = [
  ['Europe/Berlin', '2026-10-25 02:30:00'], // repeated (fall back)
  ['Europe/Berlin', '2026-03-29 02:30:00'], // skipped (spring forward)
  ['America/New_York', '2026-11-01 01:30:00'],
  ['America/New_York', '2026-03-08 02:30:00'],
  ['Australia/Lord_Howe', '2026-04-05 01:45:00'], // a 30-minute change
  ['Australia/Lord_Howe', '2026-10-04 02:15:00'],
  ['Europe/Dublin', '2026-10-25 01:30:00'], // negative DST in the tz database
  ['UTC', '2026-10-25 02:30:00'],
];

describe('repeated and skipped wall-clock times', () => {
  it.each(CASES)('%s %s: parseTimestamp and DuckDB agree', async (zone, wallClock) => {
    const rows = await db.session.all(
      `SELECT epoch_ms(timezone(${quoteLiteral(zone)}, TIMESTAMP ${quoteLiteral(wallClock)})) AS ms`,
    );
    const duckdb = new Date(Number(rows[0]?.['ms'])).toISOString();
    expect(parseTimestamp(wallClock, 'YYYY-MM-DD HH:mm:ss', zone)?.toISOString()).toBe(duckdb);
  });
});
