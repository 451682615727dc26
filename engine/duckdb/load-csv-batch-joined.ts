/**
 * The joined path of load-csv-batch.ts: a group of small CSV files whose bytes are at hand (kept by the
 * fetch step, or by the scan: a gzip file's decompressed bytes, a file read from disk) is written as one
 * uncompressed file (each file's bytes after the other's, each ending with a line break) and read once,
 * so a thousand small files cost one file on disk and one read instead of a thousand (file creation
 * cost 0.1–0.5 ms each on a busy disk; small NDJSON files gained the same way).
 *
 * The Node scan (read-csv-batch-plan.ts) gives each file's rows, ragged lines and line count, so every
 * file has a known place in the joined file: its rows from a known rowid (its header row first), its
 * lines from a known line. The read is checked as the multi-file read is, by place instead of by a
 * file-name column: exactly the rows expected in all, each file's header row where the file starts,
 * and exactly the expected ragged lines rejected, nothing else. Any difference and the joined read is
 * dropped (undefined): the caller reads the group as separate files, which checks file by file.
 *
 * Only files that join safely are joined. A byte order mark is left out (DuckDB skips one only at the
 * start of a file; its reject positions count it, so they are renumbered with it). Line breaks must be
 * all LF or all CRLF, across the group: DuckDB takes a file's line break from its first line, and its
 * strict read fails at a line that ends otherwise (such a group is read as separate files, each with
 * its own line break, instead of failing and falling back).
 */
import { open, rm } from 'node:fs/promises';
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
import { utf8BomLength } from './utf8-bom.js';

const LF = 0x0a;
const CR = 0x0d;
/** The joined file is written in pieces of about this size. */
const WRITE_BYTES = 1024 * 1024;

/** The bytes a file puts in the joined file (decompressed, no byte order mark); undefined if not at hand. */
function contentOf(file: CsvBatchFile, group: CsvBatchGroup): { bytes: Buffer; bom: number } | undefined {
  const bytes = file.text ?? (group.compression === 'none' ? file.bytes : undefined);
  if (bytes === undefined) return undefined;
  const bom = utf8BomLength(bytes);
  return { bytes: bytes.subarray(bom), bom };
}

/**
 * How a file's lines end: 'lf' (no CR at all), 'crlf' (every LF after a CR and every CR before an LF,
 * quoted or not), 'none' (no line break), else 'mixed'.
 */
function lineBreaksOf(bytes: Buffer): 'lf' | 'crlf' | 'none' | 'mixed' {
  let crs = 0;
  for (let i = bytes.indexOf(CR); i !== -1; i = bytes.indexOf(CR, i + 1)) {
    if (bytes[i + 1] !== LF) return 'mixed';
    crs += 1;
  }
  let lfs = 0;
  for (let i = bytes.indexOf(LF); i !== -1; i = bytes.indexOf(LF, i + 1)) lfs += 1;
  if (crs === 0) return lfs === 0 ? 'none' : 'lf';
  // Each CR is followed by its own LF: as many CRs as LFs means every LF follows a CR.
  return crs === lfs ? 'crlf' : 'mixed';
}

/** The line break the group's joined file uses; undefined when its files cannot be joined. */
function joinedLineBreak(group: CsvBatchGroup): Buffer | undefined {
  if (group.files.length < 2) return undefined;
  const kinds = new Set<string>();
  for (const file of group.files) {
    const content = contentOf(file, group);
    if (content === undefined) return undefined;
    const kind = lineBreaksOf(content.bytes);
    if (kind === 'mixed') return undefined;
    if (kind !== 'none') kinds.add(kind);
  }
  if (kinds.size > 1) return undefined;
  return Buffer.from(kinds.has('crlf') ? '\r\n' : '\n');
}

/** Whether every file of the group can go into one joined file (see the module's comment). */
export function canJoinCsvGroup(group: CsvBatchGroup): boolean {
  return joinedLineBreak(group) !== undefined;
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
  const lineBreak = joinedLineBreak(group);
  if (lineBreak === undefined) throw new Error('the group cannot be joined');
  const placed: Placed[] = [];
  let rows = 0;
  let lines = 0;
  let bytes = 0;
  const handle = await open(path, 'wx');
  try {
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const add = async (part: Buffer) => {
      pending.push(part);
      pendingBytes += part.length;
      bytes += part.length;
      if (pendingBytes < WRITE_BYTES) return;
      await handle.writeFile(Buffer.concat(pending)); // writeFile writes every byte; write may not
      pending = [];
      pendingBytes = 0;
    };
    for (const file of group.files) {
      const content = contentOf(file, group);
      if (content === undefined) throw new Error('the group cannot be joined');
      // DuckDB's reject positions in the file alone count its byte order mark.
      placed.push({ file, rowStart: rows, lineOffset: lines, byteOffset: bytes - content.bom });
      const body = content.bytes;
      await add(body);
      if (body.length > 0 && body[body.length - 1] !== LF) await add(lineBreak);
      rows += headerRows + file.rowsLoaded;
      lines += file.lines;
    }
    if (pendingBytes > 0) await handle.writeFile(Buffer.concat(pending));
  } finally {
    await handle.close();
  }
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
