/** I4 at the command line: a second apply while a run holds the lock exits 4 and names the holder. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { runCliCaptured } from '../../harness/run-cli-captured.js';
import { openLocalState } from '../../harness/local-state.js';

it('apply exits 4 (lock held) without touching S3', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-lock-'));
  mkdirSync(join(dir, 'pipelines'));
  writeFileSync(
    join(dir, 'ferry.yaml'),
    'version: 1\nconnections:\n  s3:\n    endpoint: http://127.0.0.1:9\n    force_path_style: true\n    auth: {kind: static, access_key_id: "${env:K}", secret_access_key: "${env:S}"}\n',
  );
  writeFileSync(
    join(dir, 'pipelines', 'p.yaml'),
    'name: p\nsource: {kind: s3, connection: s3, bucket: bucket-in, format: {kind: csv}}\nsink: {kind: s3, connection: s3, bucket: bucket-out, format: csv}\n',
  );
  const held = await openLocalState(join(dir, 'state')).acquirePipelineLock('p', { runId: 'the-other-run' });
  const run = await runCliCaptured(['apply'], { cwd: dir, env: { K: 'k', S: 's' } });
  await held.release();
  expect(run.code).toBe(4);
  expect(run.output).toContain('LOCK_HELD');
  expect(run.output).toContain('the-other-run');
});
