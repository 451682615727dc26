/**
 * A run whose inputs are all small opens DuckDB with one thread (run/choose-duckdb-threads.ts); a
 * run with a large file keeps DuckDB's default. Seen through the statements ferry sends DuckDB
 * (recorded, not changed), with real files on s3rver; plan and apply report the same either way.
 */
import { DuckDBConnection } from '@duckdb/node-api';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SMALL_RUN_FILE_BYTES } from '../../../engine/run/choose-duckdb-threads.js';
import { at, startEngineFixture, type EngineFixture } from './engine-fixture.js';

let fx: EngineFixture;
beforeAll(async () => {
  fx = await startEngineFixture();
});
afterAll(async () => {
  await fx?.stop();
});

// Every statement ferry sends DuckDB goes through extractStatements (create-duckdb-session.ts).
const statements: string[] = [];
// eslint-disable-next-line @typescript-eslint/unbound-method
const extract = DuckDBConnection.prototype.extractStatements;
beforeEach(() => {
  statements.length = 0;
  DuckDBConnection.prototype.extractStatements = function (this: DuckDBConnection, sql: string) {
    statements.push(sql);
    return extract.call(this, sql);
  };
});
afterEach(() => {
  DuckDBConnection.prototype.extractStatements = extract;
});

const threadSettings = () => statements.filter((sql) => /^SET threads\b/i.test(sql));

describe('DuckDB threads of a run', () => {
  it('is one when every file is small', async () => {
    const project = await fx.createProject();
    await project.writePipeline('p', {
      name: 'p',
      source: { prefix: 'in/', pick: 'all-new', order: 'key', format: { kind: 'csv' } },
      sink: { filename: 'out', format: 'csv' },
    });
    for (let i = 0; i < 5; i += 1) await project.put(`in/f${i}.csv`, `id,name\n${i},n${i}\n`);
    const plan = await project.run('plan', { now: at('2024-05-01T00:00:00Z') });
    expect(plan.error).toBeUndefined();
    expect(plan.counts).toMatchObject({ rowsRead: 5, rowsRejected: 0, rowsWritten: 5 });
    expect(threadSettings()).toEqual(['SET threads = 1']);
  });

  it("keeps DuckDB's default when a file is large", async () => {
    const project = await fx.createProject();
    await project.writePipeline('p', {
      name: 'p',
      source: { prefix: 'in/', pick: 'all-new', order: 'key', format: { kind: 'csv' } },
      sink: { filename: 'out', format: 'csv' },
    });
    await project.put('in/a.csv', 'id,name\n1,small\n');
    const line = `2,${'x'.repeat(1000)}\n`;
    const rows = Math.ceil(SMALL_RUN_FILE_BYTES / line.length) + 1;
    await project.put('in/b.csv', `id,name\n${line.repeat(rows)}`);
    const plan = await project.run('plan', { now: at('2024-05-01T00:00:00Z') });
    expect(plan.error).toBeUndefined();
    expect(plan.counts).toMatchObject({ rowsRead: rows + 1, rowsRejected: 0 });
    expect(statements.length).toBeGreaterThan(0);
    expect(threadSettings()).toEqual([]);
  });
});
