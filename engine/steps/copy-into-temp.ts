/** DuckDB may only read the run's temp dir: state files it needs are copied in under names we choose. */
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';

export async function copyIntoTemp(tempDir: string, from: string, name: string): Promise<string> {
  const to = join(tempDir, name);
  await copyFile(from, to);
  return to;
}
