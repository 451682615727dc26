/**
 * The upload step sends its outputs through a bounded pool: several at once (a gate at the proxy
 * answers nothing until UPLOAD_CONCURRENCY PUTs are waiting, so one at a time would never finish),
 * never more than UPLOAD_CONCURRENCY (counted at the proxy), and every output lands verified.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UPLOAD_CONCURRENCY } from '../../../engine/steps/upload-step.js';
import { startFaultProxy, type FaultProxy } from '../../harness/fault-proxy.js';
import { at, startEngineFixture, type EngineFixture } from './engine-fixture.js';

let fx: EngineFixture;
let proxy: FaultProxy;
beforeAll(async () => {
  fx = await startEngineFixture();
  proxy = await startFaultProxy({ upstream: fx.server.endpoint });
});
afterAll(async () => {
  await proxy?.close();
  await fx?.stop();
});

describe('upload step', () => {
  it('uploads outputs in parallel, at most UPLOAD_CONCURRENCY at once, each verified', async () => {
    const outputs = UPLOAD_CONCURRENCY * 3;
    const p = await fx.createProject({ sinkEndpoint: proxy.endpoint });
    await p.writePipeline('p', {
      name: 'p',
      source: { prefix: 'in/', pick: 'all-new', format: { kind: 'csv' } },
      sink: {
        directory: 'out/',
        filename: 'rows-{{part}}',
        format: 'csv',
        max_rows_per_file: 1,
      },
    });
    const ids = Array.from({ length: outputs }, (_, i) => String(i + 1));
    await p.put('in/1.csv', `id\n${ids.join('\n')}\n`);
    const gate = proxy.addRule({
      match: { method: 'PUT', bucket: p.sinkBucket },
      times: UPLOAD_CONCURRENCY,
      fault: { kind: 'gate', until: UPLOAD_CONCURRENCY },
    });

    const applied = await p.run('apply', { now: at('2024-05-01T06:00:00Z') });

    expect(applied.error).toBeUndefined();
    expect(gate.hits).toBe(UPLOAD_CONCURRENCY);
    const puts = proxy.requests.filter((r) => r.method === 'PUT' && r.bucket === p.sinkBucket);
    expect(puts).toHaveLength(outputs);
    expect(Math.max(...puts.map((r) => r.inFlight))).toBe(UPLOAD_CONCURRENCY);
    // One request per output: the PUT's ETag proved it, no HEAD after the uploads began (the HEADs
    // before them check that no output key exists yet).
    const sink = proxy.requests.filter((r) => r.bucket === p.sinkBucket);
    const uploading = sink.slice(sink.findIndex((r) => r.method === 'PUT'));
    expect(uploading.filter((r) => r.method === 'HEAD')).toEqual([]);
    const listed = await p.list();
    expect(listed).toHaveLength(outputs);
    const rows = await Promise.all(listed.map(async (o) => (await p.get(o.key)).toString()));
    expect(rows.map((r) => r.split('\n')[1]).sort((a, b) => Number(a) - Number(b))).toEqual(ids);
  });
});
