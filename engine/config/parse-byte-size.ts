/** Sizes in configuration (`64MB`, `512 KiB`) → bytes. KB/MB are powers of 1000, KiB/MiB of 1024. */
const UNIT_BYTES = { KB: 1000, MB: 1_000_000, KiB: 1024, MiB: 1_048_576 } as const;

export function parseByteSize(text: string): number | undefined {
  const match = /^(\d+) ?(KB|MB|KiB|MiB)$/.exec(text.trim());
  if (!match) return undefined;
  return Number(match[1]) * UNIT_BYTES[match[2] as keyof typeof UNIT_BYTES];
}
