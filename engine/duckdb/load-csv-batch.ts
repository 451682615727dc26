/**
 * Loads a group of small CSV files (read-csv-batch-plan.ts) with one `read_csv([...paths])`, instead of
 * load-csv.ts's dozen statements per file, and keeps that loader's guarantees by checking, per file,
 * what DuckDB did against the Node scan: the header record is the file's first row, its rows are
 * contiguous in file order, it loaded exactly the records the scan counted and rejected exactly the
 * ragged ones (by line), and nothing else (an encoding, quoting or line-size reject, a header reject, an
 * empty file, a file over max_rejects) happened. A file that fails any check is left out, and the caller
 * loads it with load-csv.ts, which reports it exactly as it always has. The read is the same pinned
 * dialect (compile-read-csv.ts: header=false, explicit columns, strict) plus a file-name column.
 *
 * A group whose files' bytes the fetch step kept is first read from one joined file instead
 * (load-csv-batch-joined.ts), with the same checks made by each file's place in it.
 *
 * Nothing here throws for a file: the worst case is that every file is loaded one by one.
 */
import type { DuckDbSession } from './create-duckdb-session.js';
import { rowsInFileOrder } from './batch-source-sql.js';
import {
  acceptBatchFile,
  dropBatchRead,
  EXPECTED_REJECTS_SQL,
  headerMatchesSql,
  nameBatchRead,
  runBatchRead,
} from './csv-batch-checks.js';
import type { BatchLoadedCsv, CsvBatch, LoadCsvBatchOptions } from './csv-batch-types.js';
import { canJoinCsvGroup, loadJoinedCsvGroup } from './load-csv-batch-joined.js';
import type { CsvBatchGroup } from './read-csv-batch-plan.js';
import { quoteIdent as q, quoteLiteral } from './sql.js';
import { keepCsvRejectsSql } from './summarize-csv-rejects.js';

export type { BatchLoadedCsv, CsvBatch, LoadCsvBatchOptions } from './csv-batch-types.js';

/**
 * Loads each group with one read, from one joined file when its files allow it
 * (load-csv-batch-joined.ts), else from the separate files; the result holds the files that passed
 * every check.
 */
export async function loadCsvBatch(
  session: DuckDbSession,
  groups: readonly CsvBatchGroup[],
  options: LoadCsvBatchOptions,
): Promise<CsvBatch> {
  const files: CsvBatch = new Map();
  for (const group of groups) {
    const joined = canJoinCsvGroup(group)
      ? await loadJoinedCsvGroup(session, group, options).catch(() => undefined)
      : undefined;
    let loaded = joined;
    if (loaded === undefined) {
      await options.ensureOnDisk?.(group.files);
      loaded = await loadGroup(session, group, options).catch(() => []);
    }
    for (const [index, file] of loaded) files.set(index, file);
  }
  return files;
}

async function loadGroup(
  session: DuckDbSession,
  group: CsvBatchGroup,
  options: LoadCsvBatchOptions,
): Promise<Array<[number, BatchLoadedCsv]>> {
  const read = nameBatchRead(group);
  const { table, fileColumn, staging, rejects } = read;
  let keepTable = false;
  try {
    const path = group.files.map((file) => file.path);
    await runBatchRead(session, read, { path, compression: group.compression, options });
    const stats = await readFileStats(session, { table, fileColumn, staging, group, options });
    const rejected = await readRejectLines(session, rejects);
    const firstDataLine = options.dialect.header ? 2 : 1;
    const passed: Array<[number, BatchLoadedCsv]> = [];
    if (!rowsInFileOrder(group.files.map((file) => stats.get(file.path)))) return [];
    for (const file of group.files) {
      const stat = stats.get(file.path);
      if (stat === undefined) continue;
      const lines = rejected.get(file.path) ?? { lines: [], unexpected: false };
      const rowsLoaded = stat.rows - (firstDataLine - 1);
      if (!stat.headerOk || lines.unexpected || rowsLoaded !== file.rowsLoaded || rowsLoaded === 0) continue;
      if (!sameLines(lines.lines, file.rejectedLines)) continue;
      const loaded: BatchLoadedCsv = {
        table,
        fileColumn,
        path: file.path,
        compression: group.compression,
        columns: group.columns,
        staging,
        firstRowid: stat.lo + firstDataLine - 1,
        lastRowid: stat.hi,
        rowsLoaded,
        rowsRejected: file.rejectedLines.length,
        rejects: [],
      };
      // The file's rejects: the group's, picked by the file's path.
      const copyRejectsSql = (own: string) =>
        `CREATE TABLE ${q(own)} AS SELECT r.* FROM ${q(rejects.table)} r JOIN ${q(rejects.scan)} s USING (scan_id, file_id) WHERE s.file_path = ${quoteLiteral(loaded.path)}`;
      if (!(await acceptBatchFile(session, { loaded, index: file.index, read, copyRejectsSql, options }))) {
        continue;
      }
      passed.push([file.index, loaded]);
    }
    keepTable = passed.length > 0;
    return passed;
  } finally {
    await dropBatchRead(session, read, keepTable);
  }
}

interface FileStat {
  rows: number;
  lo: number;
  hi: number;
  headerOk: boolean;
}

/** Per file: rows (header row included), first and last rowid, whether the first row is the header. */
async function readFileStats(
  session: DuckDbSession,
  input: {
    table: string;
    fileColumn: string;
    staging: string[];
    group: CsvBatchGroup;
    options: LoadCsvBatchOptions;
  },
): Promise<Map<string, FileStat>> {
  const { header } = input.group;
  const headerOk =
    header === undefined ? 'true' : headerMatchesSql(input.staging, header, input.options.dialect.nullString);
  const rows = await session.all(
    `SELECT ${q(input.fileColumn)} AS path, count(*) AS n, min(rowid) AS lo, max(rowid) AS hi,
       arg_min(coalesce(${headerOk}, false), rowid) AS header_ok
     FROM ${q(input.table)} GROUP BY ALL`,
  );
  return new Map(
    rows.map((row) => [
      text(row['path']),
      {
        rows: Number(row['n']),
        lo: Number(row['lo']),
        hi: Number(row['hi']),
        headerOk: row['header_ok'] === true,
      },
    ]),
  );
}

/** Per file path: the distinct rejected lines, and whether any reject is not a ragged data row. */
async function readRejectLines(
  session: DuckDbSession,
  rejects: { table: string; scan: string },
): Promise<Map<string, { lines: number[]; unexpected: boolean }>> {
  const rows = await session.all(
    `SELECT s.file_path AS path, r.line AS line, bool_or(r.error_type::VARCHAR NOT IN (${EXPECTED_REJECTS_SQL})) AS other
     FROM ${q(rejects.table)} r JOIN ${q(rejects.scan)} s USING (scan_id, file_id)
     GROUP BY ALL ORDER BY path, line`,
  );
  const byFile = new Map<string, { lines: number[]; unexpected: boolean }>();
  for (const row of rows) {
    const path = text(row['path']);
    const entry = byFile.get(path) ?? { lines: [], unexpected: false };
    entry.lines.push(Number(row['line']));
    entry.unexpected ||= row['other'] === true;
    byFile.set(path, entry);
  }
  return byFile;
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function sameLines(actual: readonly number[], expected: readonly number[]): boolean {
  return actual.length === expected.length && actual.every((line, i) => line === expected[i]);
}

/** Copies a batched file's reader rejects into the run's rejected-rows table, as load-csv.ts does. */
export async function keepBatchRejects(
  session: DuckDbSession,
  loaded: BatchLoadedCsv,
  keep: { into: string; file: string; maxRecordChars: number; header: boolean },
): Promise<void> {
  if (loaded.rejectsTable === undefined || loaded.rowsRejected === 0) return;
  const { header, ...rest } = keep;
  await session.run(
    keepCsvRejectsSql({ table: loaded.rejectsTable, firstDataLine: header ? 2 : 1, ...rest }),
  );
}
