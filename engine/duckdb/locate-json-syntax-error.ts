/**
 * DuckDB's position for a JSON syntax error is not reliable ("record/value N" and NDJSON "line N" were
 * seen off by one), so for a file that failed to load ferry parses it once more with JSON.parse, only
 * on this error path and only when it is small enough, to name the line and column of the mistake.
 */

import { readFile, stat } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import type { Compression } from './detect-compression.js';

export interface JsonErrorPosition {
  /** 1-based line in the decompressed text. */
  line: number;
  /** 1-based column (UTF-16 code units, as editors count for most text). */
  column: number;
}

/** Files up to this size (decompressed) are parsed to locate an error. */
export const MAX_LOCATE_BYTES = 64 * 1024 * 1024;

async function readText(path: string, compression: Compression): Promise<string | undefined> {
  if (compression === 'zstd') return undefined; // no zstd in Node 20
  if ((await stat(path)).size > MAX_LOCATE_BYTES) return undefined;
  const raw = await readFile(path);
  const bytes = compression === 'gzip' ? gunzipSync(raw, { maxOutputLength: MAX_LOCATE_BYTES }) : raw;
  return new TextDecoder('utf-8').decode(bytes); // drops a leading BOM
}

/** Where JSON.parse stops in the file, or undefined when unknown, too big, or the JSON is valid. */
export async function locateJsonSyntaxError(
  path: string,
  compression: Compression,
): Promise<JsonErrorPosition | undefined> {
  let text: string | undefined;
  try {
    text = await readText(path, compression);
  } catch {
    return undefined;
  }
  if (text === undefined) return undefined;
  let offset: number;
  try {
    JSON.parse(text);
    return undefined;
  } catch (error) {
    // V8 says "... at position N"; without a position the input ended early.
    const match = /at position (\d+)/.exec(error instanceof Error ? error.message : '');
    offset = match?.[1] === undefined ? text.length : Number(match[1]);
  }
  const before = text.slice(0, offset);
  const lineStart = before.lastIndexOf('\n') + 1;
  return { line: before.split('\n').length, column: offset - lineStart + 1 };
}
