/**
 * The warnings of a CSV file ferry read from a copy because DuckDB does not read it as it is
 * (normalize-line-breaks.ts): its lines end both ways, or a CR outside quotes is not part of a CRLF.
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
    const found = [
      stray.count > 0
        ? `${plural(stray.count, 'carriage return')} (CR) outside quotes that end${stray.count === 1 ? 's' : ''} no line (the first on line ${stray.firstLine ?? '?'}), which ferry kept inside ${stray.count === 1 ? 'its value' : 'their values'}, as if quoted`
        : '',
      stray.crCrLfLines > 0
        ? `${plural(stray.crCrLfLines, 'line')} ending CR CR LF (a CRLF written through a text-mode stream, as Python's csv module does on Windows), which ferry read as one line break each`
        : '',
      stray.finalCrMadeLf ? 'a CR at its very end, which ferry read as the last line break' : '',
    ].filter((part) => part !== '');
    warnings.push({
      code: 'CSV_STRAY_CARRIAGE_RETURNS',
      message: `${displayName} has ${found.join('; ')}. DuckDB reads no such file, so ferry read a copy (the same records and line numbers).`,
    });
  }
  return warnings;
}
