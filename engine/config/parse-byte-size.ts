/**
 * Sizes in configuration (`500MB`, `10GiB`, `512 KiB`, or a plain number of bytes) → bytes. KB, MB…
 * are powers of 1000, KiB, MiB… of 1024.
 */
const UNIT_BYTES = {
  B: 1,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  TB: 1e12,
  KiB: 2 ** 10,
  MiB: 2 ** 20,
  GiB: 2 ** 30,
  TiB: 2 ** 40,
} as const;

/** Bytes of a schema-valid size; undefined for text the schema would have refused. */
export function parseByteSize(value: number | string): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value > 0 ? value : undefined;
  const match = /^([1-9][0-9]*) ?(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/.exec(value.trim());
  if (!match) return undefined;
  const bytes = Number(match[1]) * UNIT_BYTES[match[2] as keyof typeof UNIT_BYTES];
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

/** A size for people: 10737418240 → "10GiB", 500000000 → "500MB", 1234 → "1234 bytes". */
export function formatByteSize(bytes: number): string {
  for (const unit of ['TiB', 'GiB', 'MiB', 'KiB', 'TB', 'GB', 'MB', 'KB'] as const) {
    const size = UNIT_BYTES[unit];
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return `${bytes} bytes`;
}
