import { createHash, randomFillSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256OfFile } from '../../../engine/io/sha256-of-file.js';

describe('sha256OfFile', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ferry-sha256-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it.each([
    ['an empty file', 0],
    ['a file smaller than one read', 1000],
    ['a file of exactly one read', 4 * 1024 * 1024],
    ['a file over two reads that ends mid-read', 9 * 1024 * 1024 + 17],
  ])('hashes %s as one pass over its bytes would', async (_name, size) => {
    const bytes = randomFillSync(Buffer.alloc(size));
    const path = join(dir, `f-${size}.bin`);
    await writeFile(path, bytes);
    expect(await sha256OfFile(path)).toBe(createHash('sha256').update(bytes).digest('hex'));
  });

  it('rejects with ENOENT for a missing file', async () => {
    await expect(sha256OfFile(join(dir, 'missing.bin'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
