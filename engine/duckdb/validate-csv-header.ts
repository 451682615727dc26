/**
 * Header names become DuckDB column names, and DuckDB compares names without regard to ASCII case, so
 * `id` and `ID` are duplicates. An empty or duplicate name is an error naming the position: loading it
 * would need an invented name that no mapping in the config could know about.
 */

import { FerryError } from '../errors/ferry-error.js';

const HINT =
  'Rename the column in the vendor file, or name the columns yourself with source.format.columns: [a, b, …] (the header row is then skipped).';

/** DuckDB's identifier comparison folds ASCII letters only. */
function foldCase(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => letter.toLowerCase());
}

/** Throws FerryError `CSV_BAD_HEADER` for the first empty or duplicate header name. */
export function validateCsvHeader(names: readonly string[], displayName: string): void {
  const seen = new Map<string, number>();
  names.forEach((name, index) => {
    const position = index + 1;
    if (name.trim() === '') {
      throw new FerryError('CSV_BAD_HEADER', `${displayName}: header column ${position} has no name.`, {
        context: { file: displayName, column: position },
        hint: HINT,
      });
    }
    const key = foldCase(name);
    const first = seen.get(key);
    if (first !== undefined) {
      throw new FerryError(
        'CSV_BAD_HEADER',
        `${displayName}: header columns ${first} and ${position} have the same name ${JSON.stringify(name)} (names are compared ignoring case).`,
        { context: { file: displayName, column: position, firstColumn: first, name }, hint: HINT },
      );
    }
    seen.set(key, position);
  });
}
