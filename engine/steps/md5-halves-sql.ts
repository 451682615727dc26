/**
 * A hex MD5 (32 characters, as `md5()` and the stored row hashes give it) as two 64-bit integers: what
 * the diff and the merge of a large run compare instead of the text, so that their joins hold
 * fixed-width values (compile-diff-sql.ts, compile-merge-sql.ts, compile-narrow-merge-sql.ts).
 */

/** One half of a hex MD5 as a UBIGINT: its first (`left`) or last (`right`) 16 hex digits. */
export function md5Half(hex: string, side: 'left' | 'right'): string {
  return `CAST('0x' || ${side}(${hex}, 16) AS UBIGINT)`;
}

/** Both halves of a hex MD5, named `<prefix>1` and `<prefix>2`. */
export function md5Halves(hex: string, prefix: string): string {
  return `${md5Half(hex, 'left')} AS ${prefix}1, ${md5Half(hex, 'right')} AS ${prefix}2`;
}
