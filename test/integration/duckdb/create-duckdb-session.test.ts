import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDuckDbSession } from '../../../engine/duckdb/create-duckdb-session.js';
import { quoteLiteral } from '../../../engine/duckdb/sql.js';
import { ferryErrorOf, openTestSession, type DuckDbTestSession } from './duckdb-test-session.js';

let t: DuckDbTestSession;
let outside: string;
beforeEach(async () => {
  t = await openTestSession();
  // A readable CSV next to (not inside) the sandbox: only the sandbox may stop DuckDB from reading it.
  outside = await mkdtemp(path.join(os.tmpdir(), 'ferry-outside-'));
  await writeFile(path.join(outside, 'secret.csv'), 'a\n1\n');
});
afterEach(async () => {
  await t.close();
  await rm(outside, { recursive: true, force: true });
});

const readCsv = (file: string) => t.session.all(`SELECT * FROM read_csv(${quoteLiteral(file)})`);

describe('createDuckDbSession sandbox', () => {
  it('reads files inside the temp dir', async () => {
    const file = await t.write('ok.csv', 'a\n1\n');
    expect(await readCsv(file)).toEqual([{ a: 1n }]);
  });

  it('cannot read /etc/passwd', async () => {
    const error = await ferryErrorOf(() => readCsv('/etc/passwd'));
    expect(error.code).toBe('DUCKDB_ERROR');
    expect(error.context).toMatchObject({ statement: 'SELECT' });
  });

  it('cannot read outside the temp dir by absolute path, ../, a sibling prefix or a symlink', async () => {
    const secret = path.join(outside, 'secret.csv');
    await symlink(secret, path.join(t.dir, 'link.csv'));
    const sibling = `${t.dir}-evil`;
    await mkdir(sibling);
    await writeFile(path.join(sibling, 'x.csv'), 'a\n1\n');
    try {
      for (const file of [
        secret,
        path.join(t.dir, '..', path.basename(outside), 'secret.csv'),
        `${t.dir}/../${path.basename(outside)}/secret.csv`,
        path.join(sibling, 'x.csv'),
        path.join(t.dir, 'link.csv'),
      ]) {
        const error = await ferryErrorOf(() => readCsv(file));
        expect(error.code, file).toBe('DUCKDB_ERROR');
      }
    } finally {
      await rm(sibling, { recursive: true, force: true });
    }
  });

  it('cannot write outside the temp dir, but can inside it', async () => {
    await t.session.run(`COPY (SELECT 1 AS a) TO ${quoteLiteral(path.join(t.dir, 'out.csv'))}`);
    const error = await ferryErrorOf(() =>
      t.session.run(`COPY (SELECT 1 AS a) TO ${quoteLiteral(path.join(outside, 'out.csv'))}`),
    );
    expect(error.code).toBe('DUCKDB_ERROR');
  });

  it('cannot reach the network or load extensions', async () => {
    for (const sql of [
      `SELECT * FROM read_csv('https://example.com/data.csv')`,
      'INSTALL httpfs',
      'LOAD httpfs',
      `ATTACH ${quoteLiteral(path.join(outside, 'x.duckdb'))}`,
    ]) {
      const error = await ferryErrorOf(() => t.session.run(sql));
      expect(error.code, sql).toBe('DUCKDB_ERROR');
    }
  });

  it('locks the configuration', async () => {
    for (const sql of [
      `SET memory_limit = '8GB'`,
      'SET enable_external_access = true',
      `SET allowed_directories = ['/']`,
      `SET temp_directory = '/tmp'`,
    ]) {
      const error = await ferryErrorOf(() => t.session.run(sql));
      expect(error.code, sql).toBe('DUCKDB_ERROR');
    }
  });

  it('applies the memory limit, threads and spill directory', async () => {
    const [row] = await t.session.all(
      `SELECT current_setting('memory_limit') AS memory, current_setting('threads') AS threads,
         current_setting('temp_directory') AS spill, current_setting('enable_external_access') AS external`,
    );
    expect(row).toMatchObject({ memory: '244.1 MiB', threads: 2n, external: false });
    expect(row?.['spill']).toBe(`${t.dir}/duckdb-spill`);
  });
});

describe('createDuckDbSession statements', () => {
  it('runs one statement per call and refuses more', async () => {
    const error = await ferryErrorOf(() => t.session.run('CREATE TABLE a (x INT); DROP TABLE a'));
    expect(error.code).toBe('DUCKDB_ERROR');
    expect(error.context).toMatchObject({ statementCount: 2 });
    // Nothing of the refused string ran.
    expect(await t.session.all(`SELECT count(*) AS n FROM duckdb_tables() WHERE table_name = 'a'`)).toEqual([
      { n: 0n },
    ]);
  });

  it('wraps SQL errors with the statement kind and keeps the DuckDB error as cause', async () => {
    const error = await ferryErrorOf(() => t.session.all('SELECT * FROM no_such_table'));
    expect(error.code).toBe('DUCKDB_ERROR');
    expect(error.context).toMatchObject({ operation: 'duckdb', statement: 'SELECT' });
    expect(error.cause).toBeInstanceOf(Error);
    expect(error.message).not.toContain('\n');
  });

  it('returns row objects', async () => {
    expect(await t.session.all(`SELECT 1 AS a, 'x' AS b, NULL AS c`)).toEqual([{ a: 1, b: 'x', c: null }]);
  });

  it('closes idempotently', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ferry-close-'));
    try {
      const session = await createDuckDbSession({ tempDir: dir });
      session.close();
      expect(() => session.close()).not.toThrow();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a temp dir that does not exist', async () => {
    const error = await ferryErrorOf(() => createDuckDbSession({ tempDir: path.join(outside, 'missing') }));
    expect(error.code).toBe('DUCKDB_ERROR');
  });
});
