/**
 * mapping.timestamp as SQL: one expression that turns the column's value into a TIMESTAMPTZ, or NULL
 * when it does not read (the caller rejects the row then). Whether a value carries its own offset
 * decides how it is read: `…Z` / `…+02:00` (ISO form, or `%z` / `Z` in the format) are instants and
 * the configured zone must not move them; values without an offset are wall-clock times in the zone.
 * Unix times (`X` seconds, `x` milliseconds) are instants too; DuckDB's strptime has no `%s`, so they
 * get their own expressions.
 */
import { FerryError } from '../errors/ferry-error.js';
import { quoteLiteral } from '../duckdb/sql.js';
import { TimestampFormatError } from '../time/timestamp-format.js';
import { toStrptimeFormat } from './to-strptime-format.js';

/** A time followed by an offset: `12:00Z`, `12:00:00.5 +02:00`, `10:00:00+00`, `12:00-0500`. */
const ISO_OFFSET_PATTERN = '\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?\\s*([Zz]|[+-]\\d{2}(:?\\d{2})?)$';

export function compileTimestampSql(input: {
  /** SQL of the raw column (any type). */
  raw: string;
  format: string | undefined;
  /** Zone of values without an offset. */
  timezone: string;
  pipeline: string;
  column: string;
}): string {
  const text = `CAST(${input.raw} AS VARCHAR)`;
  const zone = quoteLiteral(input.timezone);
  const { format } = input;
  if (format === undefined) {
    return (
      `CASE WHEN regexp_matches(${text}, ${quoteLiteral(ISO_OFFSET_PATTERN)}) THEN TRY_CAST(${text} AS TIMESTAMPTZ) ` +
      `ELSE timezone(${zone}, TRY_CAST(${text} AS TIMESTAMP)) END`
    );
  }
  if (format === 'X') {
    return `CASE WHEN regexp_matches(${text}, '^-?\\d{1,12}(\\.\\d{1,6})?$') THEN to_timestamp(CAST(${text} AS DOUBLE)) END`;
  }
  if (format === 'x') {
    return `CASE WHEN regexp_matches(${text}, '^-?\\d{1,15}$') THEN timezone('UTC', epoch_ms(CAST(${text} AS BIGINT))) END`;
  }
  const strptime = readableStrptimeFormat(format, input);
  if (/%s/.test(strptime.replace(/%%/g, ''))) {
    throw new FerryError(
      'MAPPING_BAD_TIMESTAMP_FORMAT',
      `mapping.timestamp.format "${format}" mixes Unix time (X or x) with other tokens.`,
      {
        context: { pipeline: input.pipeline, step: 'map', column: input.column },
        hint: 'Use X (Unix seconds) or x (Unix milliseconds) alone, or a calendar format such as YYYY-MM-DD HH:mm:ss.',
      },
    );
  }
  const parsed = `try_strptime(${text}, ${quoteLiteral(strptime)})`;
  // %z makes strptime return an instant (TIMESTAMPTZ); otherwise the value is wall-clock time in the zone.
  return /%z/i.test(strptime.replace(/%%/g, '')) ? parsed : `timezone(${zone}, ${parsed})`;
}

/** `validate` refuses a bad token form; this keeps one that slips past it a ferry error, not INTERNAL. */
function readableStrptimeFormat(format: string, input: { pipeline: string; column: string }): string {
  try {
    return toStrptimeFormat(format);
  } catch (error) {
    if (!(error instanceof TimestampFormatError)) throw error;
    throw new FerryError(
      'MAPPING_BAD_TIMESTAMP_FORMAT',
      `mapping.timestamp.format "${format}": ${error.message}`,
      {
        context: { pipeline: input.pipeline, step: 'map', column: input.column },
        hint: 'Fix the format (MM is the month, mm the minute; HH the hour), then run `ferry validate`.',
        cause: error,
      },
    );
  }
}
