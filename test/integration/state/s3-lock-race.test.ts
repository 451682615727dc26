/**
 * Runs racing for one lock on S3 state, with every lookup moto makes slowed by 50 ms: a conditional
 * PUT that checked and then wrote in two steps would let every racer through here. The harness's
 * moto applies conditional writes one at a time, as S3 does (see moto-server.ts); this file shows it
 * does, so the lock tests over moto (state-store.test.ts, s3-state-locking.test.ts) test ferry's
 * locking and not the server's luck.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HeldLock } from '../../../engine/state/state-lock.js';
import { startMotoServer, type MotoServer } from '../../harness/moto-server.js';
import { s3Fixture } from '../../harness/state-backends.js';
import { uniqueBucket } from '../../harness/unique-bucket.js';

let moto: MotoServer;
const bucket = uniqueBucket('state');
let prefixes = 0;
const fixture = () => s3Fixture(moto.client, bucket, `race${(prefixes += 1)}/`);

beforeAll(async () => {
  moto = await startMotoServer({ slowChecksMs: 50 });
  await moto.createBucket(bucket);
});
afterAll(async () => {
  await moto?.stop();
});

describe('racing for one lock on S3 state, the server slow to check', () => {
  it('four runs take a free lock at once: one gets it, three are told who has it', async () => {
    const { store } = fixture();
    await store.blobs.checkConditionalWrites();
    const results = await Promise.allSettled(
      ['a', 'b', 'c', 'd'].map((runId) => store.acquirePipelineLock('p', { runId })),
    );
    const won = results.filter((r): r is PromiseFulfilledResult<HeldLock> => r.status === 'fulfilled');
    expect(won.map((r) => r.value.info.runId)).toHaveLength(1);
    const holder = await store.readPipelineLock('p');
    expect(holder.kind === 'held' ? holder.info.runId : holder.kind).toBe(won[0]?.value.info.runId);
    for (const r of results) {
      if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'LOCK_HELD' });
    }
    // The winner still holds it when it is about to commit.
    await won[0]?.value.assertHeld();
    await won[0]?.value.release();
  });

  it('two writes replace one version at once: one lands, the other is STATE_CONFLICT', async () => {
    const { store } = fixture();
    const blobs = store.blobs;
    const first = await blobs.write('pipelines/p/state.json', '{"v":0}\n');
    const results = await Promise.allSettled(
      ['{"v":1}\n', '{"v":2}\n'].map((body) =>
        blobs.write('pipelines/p/state.json', body, { ifMatch: first }),
      ),
    );
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const lost = results.find((r) => r.status === 'rejected');
    expect(lost?.status === 'rejected' ? lost.reason : undefined).toMatchObject({ code: 'STATE_CONFLICT' });
    const landed = results.find((r): r is PromiseFulfilledResult<string> => r.status === 'fulfilled');
    expect((await blobs.read('pipelines/p/state.json'))?.version).toBe(landed?.value);
  });
});
