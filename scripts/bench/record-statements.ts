/**
 * Times every DuckDB statement ferry runs, without touching engine code: while recording is on,
 * `DuckDBConnection.extractStatements` remembers the SQL and `DuckDBPreparedStatement.run` (which
 * `runAndReadAll` also goes through) is timed. ferry runs one statement at a time on one connection,
 * so the last SQL extracted is the one running.
 */
import { DuckDBConnection, DuckDBExtractedStatements, DuckDBPreparedStatement } from '@duckdb/node-api';

export interface StatementRecord {
  sql: string;
  /** performance.now() at start and end. */
  start: number;
  end: number;
}

export interface StatementRecorder {
  start(): void;
  stop(): StatementRecord[];
  /** Restores the original methods. */
  dispose(): void;
}

export function installStatementRecorder(): StatementRecorder {
  const connectionProto = DuckDBConnection.prototype;
  const preparedProto = DuckDBPreparedStatement.prototype;
  // Both are always called with the right `this` below (`.call`).
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const originalExtract = connectionProto.extractStatements;
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const originalRun = preparedProto.run;
  const extractedProto = DuckDBExtractedStatements.prototype;
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const originalPrepare = extractedProto.prepare;
  // A statement's time starts when it is prepared (binding a read_csv can take time too).
  let preparedAt: number | undefined;
  let records: StatementRecord[] = [];
  let active = false;
  let lastSql = '';

  connectionProto.extractStatements = function (this: DuckDBConnection, sql: string) {
    if (active) lastSql = sql;
    return originalExtract.call(this, sql);
  };
  extractedProto.prepare = async function (this: DuckDBExtractedStatements, index: number) {
    if (active) preparedAt = performance.now();
    return originalPrepare.call(this, index);
  };
  preparedProto.run = async function (this: DuckDBPreparedStatement) {
    if (!active) return originalRun.call(this);
    const sql = lastSql;
    const start = preparedAt ?? performance.now();
    preparedAt = undefined;
    try {
      return await originalRun.call(this);
    } finally {
      records.push({ sql, start, end: performance.now() });
    }
  };

  return {
    start() {
      records = [];
      active = true;
    },
    stop() {
      active = false;
      return records;
    },
    dispose() {
      active = false;
      connectionProto.extractStatements = originalExtract;
      extractedProto.prepare = originalPrepare;
      preparedProto.run = originalRun;
    },
  };
}
