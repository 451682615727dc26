/**
 * State is replaced, never edited in place: write a temp file beside the target, fsync it, rename it
 * over the target. A crash leaves either the old file or the new one, never a torn mix.
 */
import { randomUUID } from 'node:crypto';
import { open, rename } from 'node:fs/promises';
import { failpoint, type Failpoint } from '../io/failpoint.js';

export async function writeFileAtomic(
  path: string,
  data: string | Buffer,
  options: { failpoint?: Failpoint } = {},
): Promise<void> {
  const temp = `${path}.tmp-${randomUUID()}`;
  const handle = await open(temp, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  if (options.failpoint) failpoint(options.failpoint);
  await rename(temp, path);
}
