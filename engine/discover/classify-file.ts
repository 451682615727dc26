/**
 * Which files under a prefix are data, and which are not: READMEs, backups, markers, checksums and
 * formats ferry does not read end up in the "ignored" family, never in a proposed `match`.
 * Judged on the file name (the last key segment) alone.
 */
import type { CompressionGuess, FormatGuess, IgnoreReason } from './discovery-model.js';

const DOCUMENTATION_NAMES = /^(readme|license|licence|changelog|changes|notice|copying|authors)([._-].*)?$/i;
const DOCUMENTATION_EXTENSIONS = new Set([
  'md',
  'markdown',
  'rst',
  'pdf',
  'doc',
  'docx',
  'html',
  'htm',
  'rtf',
  'odt',
]);
const BACKUP_EXTENSIONS = new Set([
  'bak',
  'backup',
  'old',
  'orig',
  'tmp',
  'temp',
  'swp',
  'swo',
  'part',
  'partial',
  'crdownload',
  'download',
]);
/** "accounts (copy).csv", "copy of accounts.csv", "accounts-backup.csv". */
const BACKUP_WORDS = /(^|[\s._(-])(copy|backup|bak)(\s*\d*\)?)?([\s._-]|$)/i;
const MARKER_NAMES =
  /^(_success|_started_.*|_committed_.*|_temporary|thumbs\.db|desktop\.ini|\.keep|\.gitkeep)$/i;
const CHECKSUM_EXTENSIONS = new Set(['md5', 'sha1', 'sha256', 'sha512', 'sig', 'crc']);
const ENCRYPTED_EXTENSIONS = new Set(['pgp', 'gpg', 'asc']);

const FORMAT_EXTENSIONS: Record<string, FormatGuess> = {
  csv: 'csv',
  tsv: 'csv',
  psv: 'csv',
  txt: 'csv',
  dat: 'csv',
  json: 'json',
  ndjson: 'json',
  jsonl: 'json',
  parquet: 'parquet',
  pq: 'parquet',
};

export interface FileKind {
  format: FormatGuess;
  compression: CompressionGuess;
  /** The extension before the compression one (csv in .csv.gz), lower case; '' when there is none. */
  extension: string;
}

/** Format and compression from the name; `unknown` for a name without a known extension. */
export function classifyFileName(fileName: string): FileKind {
  const parts = fileName.toLowerCase().split('.');
  let last = parts.length > 1 ? (parts.pop() ?? '') : '';
  let compression: CompressionGuess = 'none';
  if (last === 'gz' || last === 'gzip' || last === 'zst' || last === 'zstd') {
    compression = last.startsWith('g') ? 'gzip' : 'zstd';
    last = parts.length > 1 ? (parts.pop() ?? '') : '';
  }
  return { format: FORMAT_EXTENSIONS[last] ?? 'unknown', compression, extension: last };
}

/** Why a file is not data, or undefined when it may be. */
export function ignoreReason(fileName: string): IgnoreReason | undefined {
  const lower = fileName.toLowerCase();
  if (MARKER_NAMES.test(lower) || lower.endsWith('.crc') || lower.endsWith('_$folder$')) return 'marker';
  if (lower.startsWith('.') || lower.startsWith('~$')) return 'hidden';
  if (lower.endsWith('~')) return 'backup';
  const extension = lower.includes('.') ? lower.slice(lower.lastIndexOf('.') + 1) : '';
  if (DOCUMENTATION_NAMES.test(lower) || DOCUMENTATION_EXTENSIONS.has(extension)) return 'documentation';
  if (BACKUP_EXTENSIONS.has(extension)) return 'backup';
  if (CHECKSUM_EXTENSIONS.has(extension)) return 'checksum';
  if (ENCRYPTED_EXTENSIONS.has(extension)) return 'encrypted';
  const stem = lower.slice(0, lower.indexOf('.') === -1 ? lower.length : lower.indexOf('.'));
  if (BACKUP_WORDS.test(stem)) return 'backup';
  // No extension at all may still be data (the newest file is read to tell); a known other one is not.
  const kind = classifyFileName(fileName);
  if (kind.extension !== '' && kind.format === 'unknown') return 'unsupported-format';
  return undefined;
}

export const IGNORE_REASON_TEXT: Record<IgnoreReason, string> = {
  hidden: 'hidden file',
  documentation: 'documentation',
  backup: 'backup or temporary copy',
  marker: 'marker file',
  checksum: 'checksum or signature',
  encrypted: 'PGP-encrypted (decryption is not built yet)',
  'unsupported-format': 'not a format ferry reads (CSV, JSON, Parquet)',
};
