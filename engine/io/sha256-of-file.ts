/**
 * The hex SHA-256 of a local file, read in 4 MiB chunks into one reused buffer. A read stream's
 * 64 KiB chunks cost more than the hash: 1 GiB took 0.98–1.25 s through a 1 MiB stream and 0.79 s
 * this way; a 62 MB dataset version 99 ms through the default stream.
 */
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';

const CHUNK_BYTES = 4 * 1024 * 1024;

/** Rejects with the file system's error (ENOENT for a missing file) as `open` and `read` give it. */
export async function sha256OfFile(path: string): Promise<string> {
  const handle = await open(path, 'r');
  try {
    const hash = createHash('sha256');
    const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, CHUNK_BYTES, null);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
    }
    return hash.digest('hex');
  } finally {
    await handle.close();
  }
}
