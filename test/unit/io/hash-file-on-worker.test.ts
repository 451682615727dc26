import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashFileOnWorker } from '../../../engine/io/s3/hash-file-on-worker.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-hash-worker-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('hashFileOnWorker', () => {
  it('hashes the file in the pieces given, in order, as one digest', async () => {
    const content = randomBytes(9 * 1024 * 1024 + 17);
    const path = join(dir, 'file.bin');
    await writeFile(path, content);
    const hash = hashFileOnWorker(path, 'sha256');
    hash.update(0, 5);
    hash.update(5, 5 * 1024 * 1024);
    hash.update(5 * 1024 * 1024, content.length);
    const other = hashFileOnWorker(path, 'md5');
    other.update(0, content.length);
    expect(await hash.digest()).toBe(createHash('sha256').update(content).digest('hex'));
    expect(await other.digest()).toBe(createHash('md5').update(content).digest('hex'));
  });

  it('rejects when asked for bytes past the end of the file, or for a missing file', async () => {
    const path = join(dir, 'short.bin');
    await writeFile(path, Buffer.alloc(100));
    const short = hashFileOnWorker(path, 'sha256');
    short.update(0, 200);
    await expect(short.digest()).rejects.toThrow(/end of file at byte 100/);
    const missing = hashFileOnWorker(join(dir, 'missing.bin'), 'sha256');
    missing.update(0, 1);
    await expect(missing.digest()).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
