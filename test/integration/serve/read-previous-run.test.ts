/**
 * What `serve` counts catch-up and completion anchors from after a restart: the newer of the last
 * committed run and last-run.json, which a successful apply writes even when it changed nothing (such
 * a run commits no state). Before last-run.json, every restart "caught up" runs that had happened.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Project } from '../../../engine/config/model.js';
import { readPreviousRun } from '../../../engine/serve/read-previous-run.js';
import type { ServeConfig } from '../../../engine/serve/run-one.js';
import { emptyCounts, emptyPipelineState, type RunRecord } from '../../../engine/state/pipeline-state.js';
import { openLocalState } from '../../harness/local-state.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function setUp() {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-previous-run-'));
  dirs.push(dir);
  const stateDir = join(dir, 'state');
  const project = { directory: dir, state: { kind: 'local', directory: stateDir } } as Project;
  const config = { project, pipelines: [], revision: 'r', loadedAt: new Date() } as ServeConfig;
  return { stateDir, config, store: openLocalState(stateDir) };
}

const committedRun: RunRecord = {
  runId: 'r1',
  status: 'succeeded',
  startedAt: '2026-10-25T00:30:00.000Z',
  finishedAt: '2026-10-25T00:30:05.000Z',
  durationMs: 5000,
  counts: emptyCounts(),
  outputs: [],
};

describe('the previous run serve counts from', () => {
  it('is the last apply that changed nothing when it is newer than the last commit', async () => {
    const { config, store } = await setUp();
    await store.commitPipelineState(
      'feed',
      { ...emptyPipelineState('feed'), lastSuccessfulRun: committedRun },
      { expected: undefined },
    );
    expect(await readPreviousRun('feed', config)).toEqual({
      startedAt: new Date('2026-10-25T00:30:00.000Z'),
      finishedAt: new Date('2026-10-25T00:30:05.000Z'),
    });
    await store.writeLastRun('feed', {
      runId: 'r3',
      startedAt: '2026-10-25T02:30:00.000Z',
      finishedAt: '2026-10-25T02:30:01.000Z',
    });
    expect(await readPreviousRun('feed', config)).toEqual({
      startedAt: new Date('2026-10-25T02:30:00.000Z'),
      finishedAt: new Date('2026-10-25T02:30:01.000Z'),
    });
  });

  it('is the committed run when last-run.json is older, missing or unreadable', async () => {
    const { config, store, stateDir } = await setUp();
    expect(await readPreviousRun('feed', config)).toBeUndefined();
    await store.commitPipelineState(
      'feed',
      { ...emptyPipelineState('feed'), lastSuccessfulRun: committedRun },
      { expected: undefined },
    );
    const committed = {
      startedAt: new Date(committedRun.startedAt),
      finishedAt: new Date(committedRun.finishedAt),
    };
    await store.writeLastRun('feed', {
      runId: 'r0',
      startedAt: '2026-10-24T23:30:00.000Z',
      finishedAt: '2026-10-24T23:30:01.000Z',
    });
    expect(await readPreviousRun('feed', config)).toEqual(committed);
    for (const garbage of ['{"runId": "r9", "startedAt": "soon"}', 'not json', '[]']) {
      await writeFile(join(stateDir, 'pipelines', 'feed', 'last-run.json'), garbage);
      expect(await readPreviousRun('feed', config)).toEqual(committed);
    }
  });
});
