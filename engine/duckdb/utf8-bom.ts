/**
 * The UTF-8 byte order mark some writers put before a file's first byte (Excel's "CSV UTF-8"), which
 * DuckDB leaves out of what it reads: the loaders that read bytes in Node leave it out too.
 */

export const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** How many bytes of a byte order mark `bytes` starts with: 3 or 0. */
export function utf8BomLength(bytes: Buffer): number {
  return bytes.subarray(0, UTF8_BOM.length).equals(UTF8_BOM) ? UTF8_BOM.length : 0;
}
