/** The *Spec types are generated from schemas/; a schema change without `npm run gen:types` fails here. */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

describe('generated config types', () => {
  it('are current (scripts/generate-config-types.mjs --check exits 0)', async () => {
    const result = await promisify(execFile)(
      process.execPath,
      ['scripts/generate-config-types.mjs', '--check'],
      {
        cwd: ROOT,
      },
    ).then(
      ({ stderr }) => ({ code: 0, stderr }),
      (error: { code?: number; stderr?: string }) => ({ code: error.code ?? -1, stderr: error.stderr ?? '' }),
    );
    expect(result.code, result.stderr).toBe(0);
  });
});
