/**
 * Compressed input and output end to end. Input compression is decided by the file's magic bytes
 * (the key's extension may lie); output compression adds .gz / .zst and must decompress to exactly
 * the rows that went in.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyCounts } from '../../../engine/state/pipeline-state.js';
import { writeWithDuckDb } from '../../harness/duckdb-files.js';
import { at, queryFile, startEngineFixture, type EngineFixture } from './engine-fixture.js';

let fx: EngineFixture;
beforeAll(async () => {
  fx = await startEngineFixture();
});
afterAll(async () => {
  await fx?.stop();
});

const NOW = at('2024-05-01T06:00:00Z');
const ZSTD_MAGIC = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);
const GZIP_MAGIC = Buffer.from([0x1f, 0x8b]);

const ROWS_QUERY = `SELECT * FROM (VALUES ('1', 'Ada'), ('2', 'Bob'), ('3', 'Cy')) AS t(id, name)`;
const CSV_TEXT = 'id,name\n1,Ada\n2,Bob\n3,Cy\n';

describe('compressed input', () => {
  it('reads gzip and zstd by magic bytes, whatever the extension says', async () => {
    const zstd = await writeWithDuckDb(ROWS_QUERY, 'rows.csv.zst', 'FORMAT csv, COMPRESSION zstd');
    expect(zstd.subarray(0, 4)).toEqual(ZSTD_MAGIC);
    const project = await fx.createProject();
    await project.writePipeline('p', {
      name: 'p',
      source: { prefix: 'in/', format: { kind: 'csv' }, compression: 'auto' },
      sink: { directory: 'out/', filename: '{{source_stem}}', format: 'csv' },
    });
    // Extension and bytes agree; gzip without an extension; zstd named .csv; zstd with .zst.
    await project.put('in/a.csv.gz', gzipSync(CSV_TEXT));
    await project.put('in/b.csv', gzipSync(CSV_TEXT));
    await project.put('in/c.csv', zstd);
    await project.put('in/d.csv.zst', zstd);
    const plan = await project.run('apply', { now: NOW });
    expect(plan.error).toBeUndefined();
    expect(plan.counts).toEqual({
      ...emptyCounts(),
      filesMatched: 4,
      filesNew: 4,
      rowsRead: 12,
      rowsWritten: 12,
      objectsWritten: 1,
    });
    // Several files make one output, in key order; source_stem is "multi".
    expect((await project.list()).map((o) => o.key)).toEqual(['out/multi.csv']);
    expect((await project.get('out/multi.csv')).toString()).toBe(
      'id,name\n' + '1,Ada\n2,Bob\n3,Cy\n'.repeat(4),
    );
  });

  it('reads declared gzip, and zstd NDJSON', async () => {
    const ndjson = await writeWithDuckDb(ROWS_QUERY, 'rows.ndjson.zst', 'FORMAT json, COMPRESSION zstd');
    expect(ndjson.subarray(0, 4)).toEqual(ZSTD_MAGIC);
    const project = await fx.createProject();
    await project.writePipeline('gz', {
      name: 'gz',
      source: { prefix: 'gz/', format: { kind: 'csv', delimiter: 't' }, compression: 'gzip' },
      sink: { directory: 'gz/', filename: 'rows', format: 'csv' },
    });
    await project.writePipeline('zst', {
      name: 'zst',
      source: { prefix: 'zst/', format: { kind: 'json', layout: 'ndjson' } },
      sink: { directory: 'zst/', filename: 'rows', format: 'csv' },
    });
    await project.put('gz/events.tsv.gz', gzipSync('id\tname\n1\tAda\n2\tBob\n3\tCy\n'));
    await project.put('zst/events.ndjson.zst', ndjson);
    const plan = await project.runAll('apply', { now: NOW });
    expect(plan.pipelines.map((p) => [p.pipeline, p.error, p.counts.rowsRead, p.counts.rowsWritten])).toEqual(
      [
        ['gz', undefined, 3, 3],
        ['zst', undefined, 3, 3],
      ],
    );
    expect((await project.list()).map((o) => o.key)).toEqual(['gz/rows.csv', 'zst/rows.csv']);
    expect((await project.get('gz/rows.csv')).toString()).toBe(CSV_TEXT);
    expect((await project.get('zst/rows.csv')).toString()).toBe(CSV_TEXT);
  });

  it('fails a file whose declared compression its bytes contradict', async () => {
    const project = await fx.createProject();
    await project.writePipeline('p', {
      name: 'p',
      source: { format: { kind: 'csv' }, compression: 'gzip' },
      sink: { filename: 'rows', format: 'csv' },
    });
    await project.put('rows.csv.gz', CSV_TEXT);
    const before = await project.hashState();
    const plan = await project.run('apply', { now: NOW });
    expect(plan.status).toBe('error');
    expect(plan.error?.code).toBe('COMPRESSION_MISMATCH');
    expect(await project.list()).toEqual([]);
    const after = await project.hashState();
    expect(Object.keys(after).filter((k) => !(k in before))).toEqual([
      expect.stringMatching(/^pipelines\/p\/runs\/[^/]+\.json$/),
    ]);
    expect(await project.readState('p')).toBeUndefined();
  });
});

describe('compressed output', () => {
  it('gzip: .csv.gz that gunzips to the exact CSV', async () => {
    const project = await fx.createProject();
    await project.writePipeline('p', {
      name: 'p',
      source: { format: { kind: 'csv' } },
      sink: { filename: 'rows-{{timestamp}}', format: 'csv', compress: 'gzip' },
    });
    await project.put('rows.csv', CSV_TEXT);
    const plan = await project.run('apply', { now: NOW });
    expect(plan.error).toBeUndefined();
    expect((await project.list()).map((o) => o.key)).toEqual(['rows-20240501060000.csv.gz']);
    const bytes = await project.get('rows-20240501060000.csv.gz');
    expect(plan.outputs).toEqual([
      {
        bucket: project.sinkBucket,
        key: 'rows-20240501060000.csv.gz',
        format: 'csv',
        rows: 3,
        bytes: bytes.length,
      },
    ]);
    expect(bytes.subarray(0, 2)).toEqual(GZIP_MAGIC);
    expect(gunzipSync(bytes).toString()).toBe(CSV_TEXT);
  });

  it('zstd: .ndjson.zst and .csv.zst that DuckDB decompresses to the same rows', async () => {
    const project = await fx.createProject();
    await project.writePipeline('nd', {
      name: 'nd',
      source: { format: { kind: 'csv' } },
      sink: { directory: 'nd/', filename: 'rows', format: 'ndjson', compress: 'zstd' },
    });
    await project.writePipeline('cs', {
      name: 'cs',
      source: { format: { kind: 'csv' } },
      sink: { directory: 'cs/', filename: 'rows', format: 'csv', compress: 'zstd' },
    });
    await project.put('rows.csv', CSV_TEXT);
    const plan = await project.runAll('apply', { now: NOW });
    expect(plan.pipelines.map((p) => p.error)).toEqual([undefined, undefined]);
    expect((await project.list()).map((o) => o.key)).toEqual(['cs/rows.csv.zst', 'nd/rows.ndjson.zst']);
    const ndjson = await project.get('nd/rows.ndjson.zst');
    const csv = await project.get('cs/rows.csv.zst');
    expect(ndjson.subarray(0, 4)).toEqual(ZSTD_MAGIC);
    expect(csv.subarray(0, 4)).toEqual(ZSTD_MAGIC);
    const expected = [
      { id: '1', name: 'Ada' },
      { id: '2', name: 'Bob' },
      { id: '3', name: 'Cy' },
    ];
    expect(
      await queryFile(
        ndjson,
        'rows.ndjson.zst',
        `read_json($path, format='newline_delimited', compression='zstd', columns={'id': 'VARCHAR', 'name': 'VARCHAR'})`,
      ),
    ).toEqual(expected);
    // The decompressed CSV text, byte for byte: one VARCHAR column per line.
    const lines = await queryFile(
      csv,
      'rows.csv.zst',
      `read_csv($path, compression='zstd', auto_detect=false, header=false, delim=chr(1), quote='', escape='', columns={'line': 'VARCHAR'})`,
    );
    expect(lines.map((r) => r['line']).join('\n') + '\n').toBe(CSV_TEXT);
  });
});
