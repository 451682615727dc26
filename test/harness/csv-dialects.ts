/**
 * The CSV dialect most loader tests read with: comma, double quote escaped by doubling, a header,
 * UTF-8, uncompressed, empty files skipped. Spread it to change one setting.
 */
import type { CsvDialect } from '../../engine/duckdb/normalize-csv-dialect.js';

export const COMMA_CSV: Readonly<CsvDialect> = {
  delimiter: ',',
  quote: '"',
  escape: '"',
  header: true,
  encoding: 'utf-8',
  compression: 'none',
  emptyFile: 'skip',
};
