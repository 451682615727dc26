/**
 * A small JSON array file (`layout: array`) as NDJSON lines, for the JSON batch (load-json-batch.ts):
 * each element of the top-level array on a line of its own, as its source text without the whitespace
 * between tokens (a JSON string holds no raw line break, so one line is one element). The text of every
 * value is kept as written: nothing is parsed and printed again, so a large integer or a number's
 * digits reach DuckDB as they are in the file.
 *
 * Only a file that is one valid JSON array of objects converts. Anything else (a syntax error, an
 * element that is not an object, other bytes after the array) is undefined, and the run is loaded file
 * by file, where load-json.ts says what is wrong.
 */
import { utf8BomLength } from './utf8-bom.js';

const SPACE = 0x20;
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_BRACKET = 0x5b;
export const CLOSE_BRACKET = 0x5d;
export const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

/** JSON's whitespace between tokens: space, tab, LF, CR (json-array-end.ts uses it too). */
export const isJsonWhitespace = (byte: number): boolean =>
  byte === SPACE || byte === TAB || byte === LF || byte === CR;

/** The elements of `text`, a JSON array of objects, one per line (each ending with LF); else undefined. */
export function jsonArrayToLines(input: Buffer): Buffer | undefined {
  // A byte order mark is left out, as DuckDB leaves it out of a file it reads alone.
  const text = input.subarray(utf8BomLength(input));
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.toString('utf8'));
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed)) return undefined;
  if (!parsed.every((e) => typeof e === 'object' && e !== null && !Array.isArray(e))) return undefined;
  // The text is valid JSON: the scan only has to tell strings from the rest, and count nesting.
  const out = Buffer.allocUnsafe(text.length + parsed.length);
  let o = 0;
  let depth = 0;
  let inString = false;
  let escaped = false;
  for (const byte of text) {
    if (inString) {
      out[o++] = byte;
      if (escaped) escaped = false;
      else if (byte === BACKSLASH) escaped = true;
      else if (byte === QUOTE) inString = false;
      continue;
    }
    if (isJsonWhitespace(byte)) continue;
    if (depth === 1 && (byte === COMMA || byte === CLOSE_BRACKET)) {
      // Between two elements, or after the last: the element's line ends.
      if (o > 0 && out[o - 1] !== LF) out[o++] = LF;
      if (byte === CLOSE_BRACKET) depth = 0;
      continue;
    }
    if (depth === 0) {
      if (byte !== OPEN_BRACKET) return undefined; // anything but the array
      depth = 1;
      continue;
    }
    if (byte === OPEN_BRACE || byte === OPEN_BRACKET) depth += 1;
    else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) depth -= 1;
    else if (byte === QUOTE) inString = true;
    out[o++] = byte;
  }
  const lines = out.subarray(0, o);
  // One line per element, or the scan and JSON.parse did not agree: the run goes file by file.
  let count = 0;
  for (let i = lines.indexOf(LF); i !== -1; i = lines.indexOf(LF, i + 1)) count += 1;
  return count === parsed.length ? lines : undefined;
}
