/**
 * Top-level JSON keys become column names. DuckDB compares names ignoring ASCII case and cannot have
 * an empty one, and a key repeated within one object is ambiguous (parsers differ on which value
 * wins): all three fail the file with a message naming the keys.
 */
import { FerryError } from '../errors/ferry-error.js';

/** Keys become column names: DuckDB compares them ignoring ASCII case and cannot have an empty one. */
export function checkJsonKeys(
  keys: readonly string[],
  repeatedKeyRecords: number,
  displayName: string,
): void {
  if (repeatedKeyRecords > 0) {
    throw new FerryError(
      'JSON_DUPLICATE_KEY',
      `${displayName}: ${repeatedKeyRecords} record(s) repeat a key within the same object.`,
      {
        context: { file: displayName, records: repeatedKeyRecords },
        hint: 'A repeated key is ambiguous (which value wins differs between parsers); fix the file.',
      },
    );
  }
  const seen = new Map<string, string>();
  for (const key of keys) {
    if (key === '') {
      throw new FerryError('JSON_BAD_KEY', `${displayName}: a record has an empty key ("").`, {
        context: { file: displayName },
      });
    }
    const folded = key.replace(/[A-Z]/g, (letter) => letter.toLowerCase());
    const other = seen.get(folded);
    if (other !== undefined) {
      throw new FerryError(
        'JSON_DUPLICATE_KEY',
        `${displayName}: keys ${JSON.stringify(other)} and ${JSON.stringify(key)} differ only in case; column names ignore case.`,
        { context: { file: displayName, key }, hint: 'Ask the vendor to use one spelling.' },
      );
    }
    seen.set(folded, key);
  }
}
