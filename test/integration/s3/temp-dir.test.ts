import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRunTempDir } from '../../../engine/io/temp-dir.js';

let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'ferry-temp-dir-test-'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('createRunTempDir', () => {
  it('creates a fresh directory under the root named after the run, and removes it on cleanup', async () => {
    const first = await createRunTempDir({ root, runId: 'run-42' });
    const second = await createRunTempDir({ root, runId: 'run-42' });
    expect(dirname(first.path)).toBe(root);
    expect(basename(first.path)).toMatch(/^ferry-run-42-.{6}$/);
    expect(second.path).not.toBe(first.path);
    await writeFile(join(first.path, 'x'), 'x');
    await first.cleanup();
    await first.cleanup();
    await expect(stat(first.path)).rejects.toMatchObject({ code: 'ENOENT' });
    expect((await stat(second.path)).isDirectory()).toBe(true);
    await second.cleanup();
  });

  it('keeps a hostile run id inside the root', async () => {
    const dir = await createRunTempDir({ root, runId: '../../etc/passwd' });
    expect(dirname(dir.path)).toBe(root);
    expect(basename(dir.path)).toMatch(/^ferry-\.\._\.\._etc_passwd-/);
    await dir.cleanup();
  });
});
