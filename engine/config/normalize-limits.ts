/**
 * ferry.yaml `limits` → Limits, defaults applied. The defaults mirror the `default` keywords in
 * schemas/ferry.schema.json and the DuckDB session's own fallbacks (a unit test keeps all three in step).
 */
import type { Limits } from './model.js';
import { parseByteSize } from './parse-byte-size.js';
import { parseDuration } from './parse-duration.js';
import type { Limits as LimitsSpec } from './project-spec.gen.js';

export const DEFAULT_LIMITS: Readonly<Limits> = {
  maxDecompressedBytes: 10 * 2 ** 30,
  // Real CSV/NDJSON compress 3–30×; gzip bombs 300–1000×, zstd ones far more (docs/limits.md).
  maxCompressionRatio: 100,
  tempDiskBytes: 20 * 2 ** 30,
  queryTimeoutMs: 30 * 60_000,
  // A 10M-row diff import peaked at 1.08 GB with this, 1.73 GB with 1 GiB (docs/benchmarks.md).
  memoryBytes: 640 * 2 ** 20,
};

export function normalizeLimits(spec: LimitsSpec | undefined): Limits {
  const size = (value: number | string | undefined, fallback: number): number =>
    value === undefined ? fallback : (parseByteSize(value) ?? fallback);
  const timeout = spec?.query_timeout === undefined ? undefined : parseDuration(spec.query_timeout);
  return {
    maxDecompressedBytes: size(spec?.max_decompressed_bytes, DEFAULT_LIMITS.maxDecompressedBytes),
    maxCompressionRatio: spec?.max_compression_ratio ?? DEFAULT_LIMITS.maxCompressionRatio,
    tempDiskBytes: size(spec?.temp_disk_bytes, DEFAULT_LIMITS.tempDiskBytes),
    queryTimeoutMs: timeout ?? DEFAULT_LIMITS.queryTimeoutMs,
    memoryBytes: size(spec?.memory, DEFAULT_LIMITS.memoryBytes),
  };
}
