/**
 * The joined path of load-csv-batch.ts: a group of small uncompressed CSV files whose bytes the fetch
 * step kept is written as one file (each file's bytes after the other's, each ending with a line
 * break) and read once, so a thousand small files cost one file on disk instead of a thousand
 * (file creation cost 0.1–0.5 ms each on a busy disk; small NDJSON files gained the same way).
 *
 * The Node scan (read-csv-batch-plan.ts) gives each file's rows, ragged lines and line count, so every
 * file has a known place in the joined file: its rows from a known rowid (its header row first), its
 * lines from a known line. The read is checked as the multi-file read is, by place instead of by a
 * file-name column: exactly the rows expected in all, each file's header row where the file starts,
 * and exactly the expected ragged lines rejected, nothing else. Any difference and the joined read is
 * dropped (undefined): the caller reads the group as separate files, which checks file by file.
 *
 * Only files that join safely are joined: uncompressed, with their bytes at hand, without a byte
 * order mark (DuckDB skips one only at the start of a file) and without a carriage return (one file's
 * CRLF after another's LF would leave a CR at the end of a value, which no count would notice).
 */
import { rm, writeFile } from 'node:fs/promises';
import nodePath from 'node:path';
import type { DuckDbSession } from './create-duckdb-session.js';
import type { BatchLoadedCsv, LoadCsvBatchOptions } from './csv-batch-types.js';
import {
  acceptBatchFile,
  dropBatchRead,
  EXPECTED_REJECTS_SQL,
  headerMatchesSql,
  nameBatchRead,
  runBatchRead,
} from './csv-batch-checks.js';
import type { CsvBatchFile, CsvBatchGroup } from './read-csv-batch-plan.js';
import { quoteIdent as q } from './sql.js';

const LF = 0x0a;
const CR = 0x0d;
const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** Whether every file of the group can go into one joined file (see the module's comment). */
export function canJoinCsvGroup(group: CsvBatchGroup): boolean {
  return (
    group.compression === 'none' &&
    group.files.length >= 2 &&
    group.files.every(
      (file) =>
        file.bytes !== undefined && !file.bytes.includes(CR) && !file.bytes.subarray(0, 3).equals(UTF8_BOM),
    )
  );
}

/** A file's place in the joined file. */
interface Placed {
  file: CsvBatchFile;
  /** rowid of its first row (the header row, when there is one). */
  rowStart: number;
  /** Lines of the files before it. */
  lineOffset: number;
  /** Bytes of the files before it. */
  byteOffset: number;
}

/** Joins the group's files into `path`; returns each file's place and the rows expected in all. */
async function writeJoined(
  group: CsvBatchGroup,
  path: string,
  headerRows: number,
): Promise<{ placed: Placed[]; rows: number }> {
  const parts: Buffer[] = [];
  const placed: Placed[] = [];
  let rows = 0;
  let lines = 0;
  let bytes = 0;
  for (const file of group.files) {
    const body = file.bytes ?? Buffer.alloc(0);
    placed.push({ file, rowStart: rows, lineOffset: lines, byteOffset: bytes });
    parts.push(body);
    bytes += body.length;
    if (body.length > 0 && body[body.length - 1] !== LF) {
      parts.push(Buffer.from([LF]));
      bytes += 1;
    }
    rows += headerRows + file.rowsLoaded;
    lines += file.lines;
  }
  await writeFile(path, Buffer.concat(parts));
  return { placed, rows };
}

/**
 * Loads the group from one joined file; undefined when the read is not exactly what the scan
 * expected (the caller then reads the files separately). The result holds the files that passed.
 */
export async function loadJoinedCsvGroup(
  session: DuckDbSession,
  group: CsvBatchGroup,
  options: LoadCsvBatchOptions,
): Promise<Array<[number, BatchLoadedCsv]> | undefined> {
  const [first] = group.files;
  if (first === undefined) return undefined;
  const read = nameBatchRead(group);
  const { table, fileColumn, staging, rejects } = read;
  const path = nodePath.join(nodePath.dirname(first.path), `.ferry-csv-batch-${read.token}.csv`);
  const headerRows = options.dialect.header ? 1 : 0;
  let keepTable = false;
  try {
    const { placed, rows } = await writeJoined(group, path, headerRows);
    await runBatchRead(session, read, { path, compression: 'none', options });
    if (!(await rowsArePlaced(session, { table, staging, group, placed, rows, options }))) return undefined;
    if (!(await rejectsArePlaced(session, rejects.table, placed))) return undefined;
    const passed: Array<[number, BatchLoadedCsv]> = [];
    for (const { file, rowStart, lineOffset, byteOffset } of placed) {
      if (file.rowsLoaded === 0) continue; // left to the one-file load, which says the file is empty
      const loaded: BatchLoadedCsv = {
        table,
        fileColumn,
        path,
        compression: group.compression,
        columns: group.columns,
        staging,
        firstRowid: rowStart + headerRows,
        lastRowid: rowStart + headerRows + file.rowsLoaded - 1,
        rowsLoaded: file.rowsLoaded,
        rowsRejected: file.rejectedLines.length,
        rejects: [],
      };
      // The file's rejects: the group's on the file's lines, numbered as in the file itself.
      const copyRejectsSql = (own: string) =>
        `CREATE TABLE ${q(own)} AS SELECT * REPLACE (line - ${lineOffset} AS line, ` +
        `line_byte_position - ${byteOffset} AS line_byte_position, byte_position - ${byteOffset} AS byte_position) ` +
        `FROM ${q(rejects.table)} WHERE line > ${lineOffset} AND line <= ${lineOffset + file.lines}`;
      if (!(await acceptBatchFile(session, { loaded, index: file.index, read, copyRejectsSql, options }))) {
        continue;
      }
      passed.push([file.index, loaded]);
    }
    keepTable = passed.length > 0;
    return passed;
  } finally {
    await dropBatchRead(session, read, keepTable);
    await rm(path, { force: true });
  }
}

/** Exactly `rows` rows, rowids 0…rows-1, and each file's header row where the file starts. */
async function rowsArePlaced(
  session: DuckDbSession,
  input: {
    table: string;
    staging: string[];
    group: CsvBatchGroup;
    placed: readonly Placed[];
    rows: number;
    options: LoadCsvBatchOptions;
  },
): Promise<boolean> {
  const { table, staging, group, placed, rows, options } = input;
  const [count] = await session.all(
    `SELECT count(*) AS n, min(rowid) AS lo, max(rowid) AS hi FROM ${q(table)}`,
  );
  if (Number(count?.['n']) !== rows) return false;
  if (rows > 0 && (Number(count?.['lo']) !== 0 || Number(count?.['hi']) !== rows - 1)) return false;
  if (group.header === undefined) return true;
  const starts = placed.map((p) => p.rowStart);
  const found = await session.all(
    `SELECT rowid AS r, coalesce(${headerMatchesSql(staging, group.header, options.dialect.nullString)}, false) AS ok ` +
      `FROM ${q(table)} WHERE rowid IN (${starts.join(', ')})`,
  );
  const headers = new Set(found.filter((row) => row['ok'] === true).map((row) => Number(row['r'])));
  return starts.every((start) => headers.has(start));
}

/** Only ragged rows rejected, each on a line its file's scan expected, and every expected one. */
async function rejectsArePlaced(
  session: DuckDbSession,
  rejectsTable: string,
  placed: readonly Placed[],
): Promise<boolean> {
  const rows = await session.all(
    `SELECT line, bool_or(error_type::VARCHAR NOT IN (${EXPECTED_REJECTS_SQL})) AS other
     FROM ${q(rejectsTable)} GROUP BY line ORDER BY line`,
  );
  if (rows.some((row) => row['other'] === true)) return false;
  const actual = rows.map((row) => Number(row['line']));
  const expected = placed.flatMap((p) => p.file.rejectedLines.map((line) => line + p.lineOffset));
  return actual.length === expected.length && actual.every((line, i) => line === expected[i]);
}
