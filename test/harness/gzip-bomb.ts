/**
 * Decompression bombs for limit tests: one gzip member of 16 MiB of a repeated record, compressed
 * once (~300:1) and concatenated N times (gzip readers, DuckDB's and Node's, read every member), so a
 * bomb of any size costs one compression. CSV bombs start with a header member.
 */
import { gzipSync } from 'node:zlib';

const MEMBER_BYTES = 16 * 2 ** 20;

const RECORDS = {
  csv: { header: 'id,name,email,plan\n', record: '1,Acme Corporation,ops@acme.example,enterprise\n' },
  ndjson: { header: '', record: '{"id":1,"name":"Acme Corporation","email":"ops@acme.example"}\n' },
} as const;

export interface GzipBomb {
  body: Buffer;
  /** Bytes once decompressed. */
  decompressedBytes: number;
}

/** A gzip file of at least `minDecompressedBytes` (whole 16 MiB members) of one repeated record. */
export function createGzipBomb(kind: 'csv' | 'ndjson', minDecompressedBytes: number): GzipBomb {
  const { header, record } = RECORDS[kind];
  const chunk = Buffer.from(record.repeat(Math.floor(MEMBER_BYTES / record.length)));
  const member = gzipSync(chunk, { level: 9 });
  const members = Math.ceil(minDecompressedBytes / chunk.length);
  const parts = [gzipSync(Buffer.from(header)), ...Array.from({ length: members }, () => member)];
  return { body: Buffer.concat(parts), decompressedBytes: header.length + members * chunk.length };
}
