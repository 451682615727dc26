/**
 * The FerryErrors a JSON load ends with when DuckDB cannot read the file: JSON_READ_FAILED for a file
 * ferry already checked line by line (so the fault is in reading, not the JSON), JSON_MALFORMED with
 * the line and column of the mistake otherwise. DuckDB's message stays the cause.
 */
import { FerryError, isFerryError } from '../errors/ferry-error.js';
import type { Compression } from './detect-compression.js';
import { firstJsonByte } from './json-array-end.js';
import { OPEN_BRACE } from './json-array-to-lines.js';
import { locateJsonSyntaxError } from './locate-json-syntax-error.js';
import { duckDbMessageOf } from './wrap-duckdb-error.js';

export function jsonReadFailed(error: unknown, displayName: string): FerryError {
  if (isFerryError(error) && error.code !== 'DUCKDB_ERROR') return error;
  const reason = (duckDbMessageOf(error).split('\n')[0] ?? '').trim();
  return new FerryError(
    'JSON_READ_FAILED',
    `${displayName} could not be loaded${reason === '' ? '' : `: ${reason}`}.`,
    {
      context: { file: displayName },
      cause: error,
      hint: 'Check the layout (array or ndjson) and the compression settings against the file; a value over 16 MiB is not read.',
    },
  );
}

/** A JSON file DuckDB could not parse: name the line and column when ferry can find them. */
export async function jsonMalformed(
  error: unknown,
  displayName: string,
  source: { path: string; format: 'array' | 'newline_delimited'; compression: Compression },
): Promise<FerryError> {
  if (isFerryError(error) && error.code !== 'DUCKDB_ERROR') return error;
  const position =
    source.format === 'array' ? await locateJsonSyntaxError(source.path, source.compression) : undefined;
  return new FerryError(
    'JSON_MALFORMED',
    `${displayName} is not valid JSON${position === undefined ? '' : ` (line ${position.line}, column ${position.column})`}.`,
    {
      context: { file: displayName, ...position },
      cause: error,
      hint:
        source.format === 'array'
          ? 'The file must be one JSON array of objects; if it has one object per line, set layout: ndjson.'
          : 'Fix the line in the vendor file.',
    },
  );
}

/** An array file that does not end with the `]` closing its array (json-array-end.ts). */
export async function jsonArrayNotClosed(
  displayName: string,
  source: { path: string; compression: Compression },
): Promise<FerryError> {
  if ((await firstJsonByte(source.path, source.compression).catch(() => -1)) === OPEN_BRACE) {
    return new FerryError(
      'JSON_NOT_RECORDS',
      `${displayName} starts with \`{\`: it holds a JSON object (or several), not one array of objects (layout: array).`,
      {
        context: { file: displayName },
        hint: 'If it has one object per line, set layout: ndjson. A file that wraps its records in an object ({"data": [...]}) is neither: ask the vendor for an array of objects or NDJSON.',
      },
    );
  }
  const position = await locateJsonSyntaxError(source.path, source.compression).catch(() => undefined);
  return new FerryError(
    'JSON_MALFORMED',
    `${displayName} is not valid JSON${position === undefined ? '' : ` (line ${position.line}, column ${position.column})`}: it ends before the \`]\` that closes its array, so it was cut off, or is not one array.`,
    {
      context: { file: displayName, ...position },
      hint: 'Ask the vendor to send the whole file again; if it has one object per line, set layout: ndjson.',
    },
  );
}
