/**
 * S3 returns ETags wrapped in double quotes (and some servers with a W/ prefix); ferry stores and
 * compares them bare so listings, HEAD responses and state agree.
 */

/** `"abc"` → `abc`; `W/"abc"` → `abc`; anything else unchanged. */
export function stripEtagQuotes(etag: string): string {
  const bare = etag.startsWith('W/') ? etag.slice(2) : etag;
  return bare.length >= 2 && bare.startsWith('"') && bare.endsWith('"') ? bare.slice(1, -1) : bare;
}
