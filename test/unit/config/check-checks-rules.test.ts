/**
 * `checks:` and `schema:` at validate time: located problems for a check that can never fail,
 * reject_rows on a whole-table check, a bad RE2 pattern, SQL that does not parse or bind, and an
 * unknown column where the mapped columns are knowable; dataset checks inherited by writers; the
 * drift policy resolved from the pipeline, then defaults.schema, then the built-in defaults.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadProject } from '../../../engine/project/load-project.js';

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

const PROJECT = `version: 1
connections:
  vendor: { region: us-east-1 }
`;

function load(pipeline: string, project = PROJECT) {
  dir = mkdtempSync(join(tmpdir(), 'ferry-checks-config-'));
  writeFileSync(join(dir, 'ferry.yaml'), project);
  mkdirSync(join(dir, 'pipelines'));
  writeFileSync(join(dir, 'pipelines', 'p.yaml'), pipeline);
  return loadProject({ cwd: dir, env: {} });
}

const HEAD = `name: p
source: { kind: s3, connection: vendor, bucket: vendor-in, format: { kind: csv } }
mapping: { fields: [id, email, mrr], rename: { email: mail } }
sink: { kind: s3, connection: vendor, bucket: vendor-out, format: csv }
`;

function problems(pipeline: string) {
  return load(pipeline).problems.map((p) => ({ code: p.code, line: p.at?.line, col: p.at?.col }));
}

describe('check rules', () => {
  it('valid checks give no problems', () => {
    const loaded = load(`${HEAD}checks:
  - { kind: unique, columns: [id] }
  - { kind: matches, column: mail, pattern: '[^@]+@[^@]+' }
  - { kind: sql, expression: "mrr >= '0'", on_fail: reject_rows, severity: warn }
  - { kind: sql, query: "SELECT count(*) > 0 FROM rows" }
  - { kind: row_count, min: 1 }
`);
    expect(loaded.problems).toEqual([]);
    expect(loaded.pipelines[0]?.checks?.map((c) => c.name)).toEqual([
      'unique(id)',
      'matches(mail)',
      'sql',
      'sql#2',
      'row_count',
    ]);
  });

  it('locates each problem at its setting', () => {
    expect(
      problems(`${HEAD}checks:
  - { kind: row_count }
  - { kind: freshness, column: mrr, max_age: 1d, on_fail: reject_rows }
  - { kind: matches, column: mail, pattern: '(?=a)b' }
  - { kind: not_null, columns: [id, emial] }
  - { kind: sql, expression: "mrr >" }
  - { kind: sql, expression: "nope > 1" }
  - { kind: sql, expression: "a; b" }
`),
    ).toEqual([
      { code: 'CHECK_NO_BOUND', line: 6, col: 5 },
      { code: 'CHECK_REJECT_ROWS_UNSUPPORTED', line: 7, col: 59 },
      { code: 'CHECK_BAD_PATTERN', line: 8, col: 45 },
      { code: 'CHECK_UNKNOWN_COLUMN', line: 9, col: 37 },
      { code: 'CHECK_SQL_INVALID', line: 10, col: 30 },
      { code: 'CHECK_SQL_INVALID', line: 11, col: 30 },
      { code: 'CHECK_SQL_INVALID', line: 12, col: 30 },
    ]);
  });

  it('a dataset in ferry.yaml gives its checks to every pipeline writing it', () => {
    const loaded = load(
      `name: p
source: { kind: s3, connection: vendor, bucket: vendor-in, format: { kind: csv } }
sink: { kind: dataset, dataset: accounts }
checks: [{ kind: row_count, min: 1 }]
`,
      `${PROJECT}datasets:
  accounts:
    kind: entity
    key: [account_id]
    checks: [{ kind: unique, columns: [account_id] }, { kind: row_count }]
defaults:
  schema: { on_new_column: ignore }
`,
    );
    expect(loaded.pipelines[0]?.checks?.map((c) => c.name)).toEqual([
      'row_count',
      'unique(account_id)',
      'accounts.row_count',
    ]);
    expect(loaded.problems.map((p) => [p.code, p.at?.file, p.at?.line])).toEqual([
      ['CHECK_NO_BOUND', 'ferry.yaml', 8],
    ]);
    expect(loaded.pipelines[0]?.schema).toEqual({
      onNewColumn: 'ignore',
      onMissingColumn: 'fail',
      onTypeChange: 'reject_rows',
      columns: {},
    });
  });

  it('a pipeline without checks or schema keeps its normalized form (no config change on upgrade)', () => {
    const loaded = load(HEAD);
    expect(loaded.pipelines[0]).not.toHaveProperty('checks');
    expect(loaded.pipelines[0]).not.toHaveProperty('schema');
  });
});
