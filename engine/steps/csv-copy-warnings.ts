/**
 * The warnings of a CSV file ferry read from a copy because DuckDB does not read it as it is
 * (normalize-line-breaks.ts): its lines end both ways, or a CR alone sits outside quotes.
 */
import type { LoadCsvResult } from '../duckdb/load-csv.js';

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export function csvCopyWarnings(
  displayName: string,
  result: Pick<LoadCsvResult, 'crlfMadeLf' | 'strayCrs'>,
): Array<{ code: string; message: string }> {
  const warnings: Array<{ code: string; message: string }> = [];
  if (result.crlfMadeLf !== undefined) {
    warnings.push({
      code: 'CSV_MIXED_LINE_BREAKS',
      message: `${displayName} ends ${plural(result.crlfMadeLf, 'line')} with CRLF and the others with LF; DuckDB reads one kind per file, so ferry read a copy with every CRLF outside quotes made LF (the same records and line numbers).`,
    });
  }
  const stray = result.strayCrs;
  if (stray !== undefined) {
    const inValues =
      stray.count > 0
        ? `${plural(stray.count, 'carriage return')} (CR) outside quotes that end${stray.count === 1 ? 's' : ''} no line (the first on line ${stray.firstLine ?? '?'}); DuckDB reads no such file, so ferry read a copy with each CR kept inside its value, that value quoted`
        : '';
    const atEnd = stray.finalCrMadeLf
      ? 'a CR alone at its very end, which ferry read as the last line break'
      : '';
    warnings.push({
      code: 'CSV_STRAY_CARRIAGE_RETURNS',
      message: `${displayName} has ${[inValues, atEnd].filter((s) => s !== '').join(', and ')} (the same records and line numbers).`,
    });
  }
  return warnings;
}
