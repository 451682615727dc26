/**
 * The DuckDB failures that are ferry's limits, not bugs: a statement interrupted because it ran past
 * `limits.query_timeout`, a spill refused at `limits.temp_disk_bytes` (DuckDB reports it as an
 * out-of-memory error that names no file), and an out-of-memory error proper, where DuckDB could not
 * spill what it needed within `limits.memory` (a 100M-row diff's join at 640 MiB). Each becomes a
 * coded error that names the limit to raise and, when the statement reads a source file, the object
 * it was fetched from.
 */

import { FerryError, type FerryErrorContext } from '../errors/ferry-error.js';
import { duckDbMessageOf, statementKindOf } from './wrap-duckdb-error.js';

export interface StatementLimits {
  tempDiskBytes: number;
  queryTimeoutMs: number;
}

export interface LimitErrorInput {
  error: unknown;
  sql: string;
  /** True when ferry interrupted the statement because it ran past the time limit. */
  timedOut: boolean;
  limits: StatementLimits;
  /** The object the statement reads, when known (`s3://bucket/key`). */
  objectName: string | undefined;
  pipeline: string | undefined;
  /** The session's DuckDB memory_limit as configured (limits.memory, e.g. `640MiB`). */
  memoryLimit: string;
}

const TEMP_DISK_HINT =
  'If the source is genuinely that large, raise limits.temp_disk_bytes in ferry.yaml (and make sure the disk has the room).';

function formatMs(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms} ms`;
}

function formatGiB(bytes: number): string {
  return bytes % 2 ** 30 === 0 ? `${bytes / 2 ** 30} GiB` : `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

/** A memory_limit as ferry sets it (`671088640 bytes`, or a size such as `640MiB`), for a message. */
function describeMemory(limit: string): string {
  const bytes = /^(\d+) bytes$/.exec(limit)?.[1];
  return bytes === undefined ? limit : formatGiB(Number(bytes));
}

/** Where a statement ran, for a limit error's message (` (pipeline p, reading s3://…)`) and context. */
function placeOf(input: { sql: string; pipeline: string | undefined; objectName: string | undefined }): {
  statement: string;
  about: string;
  context: FerryErrorContext;
} {
  const { pipeline, objectName } = input;
  const statement = statementKindOf(input.sql);
  const where = [
    pipeline === undefined ? undefined : `pipeline ${pipeline}`,
    objectName === undefined ? undefined : `reading ${objectName}`,
  ].filter((part) => part !== undefined);
  return {
    statement,
    about: where.length === 0 ? '' : ` (${where.join(', ')})`,
    context: {
      operation: 'duckdb',
      statement,
      ...(pipeline === undefined ? {} : { pipeline }),
      ...(objectName === undefined ? {} : { file: objectName }),
    },
  };
}

/**
 * RUN_TEMP_DISK_EXCEEDED for a run's database file (choose-duckdb-storage.ts) that a statement grew
 * past limits.temp_disk_bytes: DuckDB has no limit of its own on it, so the session checks it after
 * each statement.
 */
export function databaseFileExceeded(input: {
  sql: string;
  limits: StatementLimits;
  pipeline: string | undefined;
  objectName: string | undefined;
  bytes: number;
}): FerryError {
  const { statement, about, context } = placeOf(input);
  return new FerryError(
    'RUN_TEMP_DISK_EXCEEDED',
    `A DuckDB ${statement} statement${about} grew the run's database file to ${formatGiB(input.bytes)}, past limits.temp_disk_bytes (${formatGiB(input.limits.tempDiskBytes)}).`,
    {
      context: {
        ...context,
        limit: 'temp_disk_bytes',
        maxBytes: input.limits.tempDiskBytes,
        bytes: input.bytes,
      },
      hint: TEMP_DISK_HINT,
    },
  );
}

/** The limit error for a failed statement, or undefined when the failure is not one of the limits. */
export function duckDbLimitError(input: LimitErrorInput): FerryError | undefined {
  const { limits } = input;
  const { statement, about, context } = placeOf(input);
  if (input.timedOut) {
    return new FerryError(
      'QUERY_TIMEOUT',
      `A DuckDB ${statement} query${about} ran longer than limits.query_timeout (${formatMs(limits.queryTimeoutMs)}) and was stopped.`,
      {
        context: { ...context, limit: 'query_timeout', timeoutMs: limits.queryTimeoutMs },
        cause: input.error,
        hint: 'If the data is genuinely that large, raise limits.query_timeout in ferry.yaml; otherwise check the source file and the mapping.',
      },
    );
  }
  if (duckDbMessageOf(input.error).includes('max_temp_directory_size')) {
    return new FerryError(
      'RUN_TEMP_DISK_EXCEEDED',
      `A DuckDB ${statement} query${about} needed more temp disk than limits.temp_disk_bytes (${formatGiB(limits.tempDiskBytes)}) to spill what did not fit in memory.`,
      {
        context: { ...context, limit: 'temp_disk_bytes', maxBytes: limits.tempDiskBytes },
        cause: input.error,
        hint: TEMP_DISK_HINT,
      },
    );
  }
  if (/No space left on device/i.test(duckDbMessageOf(input.error))) {
    return new FerryError(
      'RUN_DISK_FULL',
      `A DuckDB ${statement} query${about} could not write to the run's temp dir: its disk is full, before limits.temp_disk_bytes (${formatGiB(limits.tempDiskBytes)}) was reached.`,
      {
        context: { ...context, limit: 'temp_disk_bytes', maxBytes: limits.tempDiskBytes },
        cause: input.error,
        hint: 'Free space on the disk of the temp dir (TMPDIR), or set limits.temp_disk_bytes below the room it has so that ferry stops first and says which object needed it.',
      },
    );
  }
  if (/\bOut of Memory\b/i.test(duckDbMessageOf(input.error))) {
    return new FerryError(
      'RUN_MEMORY_EXCEEDED',
      `A DuckDB ${statement} query${about} ran out of memory within limits.memory (${describeMemory(input.memoryLimit)}): DuckDB could not spill what it needed to disk.`,
      {
        context: { ...context, limit: 'memory', memoryLimit: input.memoryLimit },
        cause: input.error,
        hint: 'Raise limits.memory in ferry.yaml, leaving the host 0.3–0.6 GiB above it for the process, or split the source into smaller files.',
      },
    );
  }
  return undefined;
}
