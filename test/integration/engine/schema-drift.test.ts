/**
 * Schema drift (docs/data-checks.md): the source's columns against the previous successful run's,
 * kept in state. A renamed column, a dropped column, a type change and a reordered headerless file,
 * each under each policy; a missing key column always fails and names the columns that are there.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { at, startEngineFixture, type EngineFixture, type PipelineInput } from './engine-fixture.js';

let fx: EngineFixture;
beforeAll(async () => {
  fx = await startEngineFixture();
});
afterAll(async () => {
  await fx?.stop();
});

const DAY1 = at('2026-03-01T06:00:00Z');
const DAY2 = at('2026-03-02T06:00:00Z');
const FIRST = 'account_id,name,mrr\na1,Acme,100\na2,Globex,200\n';

async function twoDays(
  schema: Record<string, unknown> | undefined,
  second: string,
  options: { header?: boolean; first?: string } = {},
) {
  const project = await fx.createProject();
  await project.writePipeline('p', {
    name: 'p',
    source: {
      pick: 'all-new',
      format: { kind: 'csv', ...(options.header === false ? { header: false } : {}) },
    },
    mapping: options.header === false ? {} : { key: ['account_id'] },
    sink: { filename: 'out-{{timestamp}}', format: 'csv' },
    ...(schema ? { schema } : {}),
  });
  await project.put('day1.csv', options.first ?? FIRST);
  const first = await project.run('apply', { now: DAY1 });
  expect(first.error).toBeUndefined();
  await project.put('day2.csv', second);
  const before = await project.readState('p');
  const plan = await project.run('plan', { now: DAY2 });
  const run = await project.run('apply', { now: DAY2 });
  return { project, plan, run, before };
}

async function lastOutput(project: Awaited<ReturnType<typeof twoDays>>['project']): Promise<string> {
  const objects = await project.list();
  return (await project.get(objects.at(-1)?.key ?? '')).toString('utf8');
}

const RENAMED = 'account_id,full_name,mrr\na1,Acme,100\n';
const DROPPED = 'account_id,name\na1,Acme\n';
const RETYPED = 'account_id,name,mrr\na1,Acme,100\na2,Globex,n/a\n';

describe('a renamed column', () => {
  it('default policy (include / fail / fail): plan shows it and apply refuses with SCHEMA_DRIFT, state untouched', async () => {
    const { plan, run, project, before } = await twoDays(undefined, RENAMED);
    expect(plan.schemaDrift).toMatchObject({
      baseline: 'previous-run',
      newColumns: ['full_name'],
      missingColumns: ['name'],
      breaking: true,
    });
    expect(run.error?.code).toBe('SCHEMA_DRIFT');
    expect(run.error?.message).toContain('account_id, full_name, mrr');
    expect(await project.readState('p')).toEqual(before);
  });

  it('on_missing_column: null, on_new_column: include: the old column is empty, the new one is written', async () => {
    const { run, project } = await twoDays({ on_missing_column: 'null' }, RENAMED);
    expect(run.error).toBeUndefined();
    expect(run.schemaDrift?.breaking).toBe(false);
    expect(await lastOutput(project)).toBe('account_id,full_name,mrr,name\na1,Acme,100,\n');
  });

  it('on_new_column: ignore drops the new column', async () => {
    const { run, project } = await twoDays({ on_missing_column: 'null', on_new_column: 'ignore' }, RENAMED);
    expect(run.error).toBeUndefined();
    expect(run.schemaDrift?.actions).toContain('full_name: new column ignored');
    expect(await lastOutput(project)).toBe('account_id,mrr,name\na1,100,\n');
  });

  it('on_new_column: fail refuses the run', async () => {
    const { run } = await twoDays({ on_missing_column: 'null', on_new_column: 'fail' }, RENAMED);
    expect(run.error?.code).toBe('SCHEMA_DRIFT');
  });
});

describe('a dropped column', () => {
  it('on_missing_column: fail (the default) refuses; null reads it as empty', async () => {
    const refused = await twoDays(undefined, DROPPED);
    expect(refused.run.error?.code).toBe('SCHEMA_DRIFT');
    expect(refused.plan.schemaDrift?.missingColumns).toEqual(['mrr']);
    const filled = await twoDays({ on_missing_column: 'null' }, DROPPED);
    expect(filled.run.error).toBeUndefined();
    expect(await lastOutput(filled.project)).toBe('account_id,name,mrr\na1,Acme,\n');
  });

  it('a missing key column always fails, whatever the policy, and lists the columns that are there', async () => {
    const { run } = await twoDays({ on_missing_column: 'null' }, 'id,name,mrr\na1,Acme,100\n');
    expect(run.error?.code).toBe('SCHEMA_REQUIRED_COLUMN_MISSING');
    expect(run.error?.message).toContain('"account_id"');
    expect(run.error?.message).toContain('id, name, mrr');
  });
});

describe('a type change', () => {
  it('on_type_change: fail refuses and names the column and both types', async () => {
    const { plan, run } = await twoDays({ on_type_change: 'fail' }, RETYPED);
    expect(plan.schemaDrift?.typeChanges).toEqual([{ column: 'mrr', before: 'BIGINT', after: 'VARCHAR' }]);
    expect(run.error?.code).toBe('SCHEMA_DRIFT');
  });

  it('on_type_change: reject_rows (the default) sets the rows aside; the rest are written', async () => {
    const { run, project } = await twoDays(undefined, RETYPED);
    expect(run.error).toBeUndefined();
    expect(run.counts.rowsRejected).toBe(1);
    expect(run.rejects.map((r) => [r.row, r.reason])).toEqual([[2, 'schema:type_change(mrr): not BIGINT']]);
    expect(await lastOutput(project)).toBe('account_id,name,mrr\na1,Acme,100\n');
  });

  it('on_type_change: cast converts; values that do not convert exactly are empty', async () => {
    const { run, project } = await twoDays(
      { on_type_change: 'cast' },
      'account_id,name,mrr\na1,Acme,100\na2,Globex,n/a\na3,Initech,2.5\n',
    );
    expect(run.error).toBeUndefined();
    expect(run.schemaDrift?.typeChanges).toEqual([{ column: 'mrr', before: 'BIGINT', after: 'VARCHAR' }]);
    expect(await lastOutput(project)).toBe('account_id,name,mrr\na1,Acme,100\na2,Globex,\na3,Initech,\n');
  });

  it('values that still fit (only whole numbers where decimals were) are no change', async () => {
    const { run } = await twoDays(undefined, 'account_id,name,mrr\na1,Acme,100\n', {
      first: 'account_id,name,mrr\na1,Acme,100.5\n',
    });
    expect(run.error).toBeUndefined();
    expect(run.schemaDrift?.typeChanges).toEqual([]);
  });

  it('a declared contract is the baseline on the first run', async () => {
    const project = await fx.createProject();
    await project.writePipeline('p', {
      name: 'p',
      source: { format: { kind: 'csv' } },
      sink: { filename: 'out', format: 'csv' },
      schema: { columns: { mrr: { type: 'BIGINT' }, plan: { required: true } } },
    } as PipelineInput);
    await project.put('day1.csv', RETYPED);
    const run = await project.run('apply', { now: DAY1 });
    expect(run.error?.code).toBe('SCHEMA_REQUIRED_COLUMN_MISSING');
    expect(run.schemaDrift).toMatchObject({
      baseline: 'contract',
      typeChanges: [{ column: 'mrr', before: 'BIGINT', after: 'VARCHAR' }],
    });
  });
});

describe('a headerless file', () => {
  it('reordered columns (types moved position) are drift', async () => {
    const { plan, run } = await twoDays(undefined, 'Acme,1,100\n', {
      header: false,
      first: '1,Acme,100\n2,Globex,200\n',
    });
    expect(plan.schemaDrift?.reordered).toBe(true);
    expect(run.error?.code).toBe('SCHEMA_DRIFT');
  });
});

describe('a JSON number field that turned DOUBLE where it was BIGINT', () => {
  // One fractional value makes the whole field DOUBLE; the whole numbers convert exactly.
  const NDJSON1 = '{"id":1,"score":1}\n{"id":2,"score":2}\n{"id":3,"score":3}\n';
  const NDJSON2 = '{"id":1,"score":1}\n{"id":2,"score":2.5}\n{"id":3,"score":3.0}\n{"id":5,"score":-7}\n';

  async function jsonTwoDays(schema: Record<string, unknown> | undefined) {
    const project = await fx.createProject();
    await project.writePipeline('p', {
      name: 'p',
      source: { pick: 'all-new', format: { kind: 'json', layout: 'ndjson', max_rejects: '50%' } },
      sink: { filename: 'out-{{timestamp}}', format: 'ndjson' },
      ...(schema ? { schema } : {}),
    });
    await project.put('day1.ndjson', NDJSON1);
    expect((await project.run('apply', { now: DAY1 })).error).toBeUndefined();
    await project.put('day2.ndjson', NDJSON2);
    return { project, run: await project.run('apply', { now: DAY2 }) };
  }

  it('reject_rows rejects only the value that does not convert exactly', async () => {
    const { project, run } = await jsonTwoDays(undefined);
    expect(run.error).toBeUndefined();
    expect(run.schemaDrift?.typeChanges).toEqual([{ column: 'score', before: 'BIGINT', after: 'DOUBLE' }]);
    expect(run.rejects.map((r) => [r.row, r.reason])).toEqual([[2, 'schema:type_change(score): not BIGINT']]);
    expect(await lastOutput(project)).toBe('{"id":1,"score":1}\n{"id":3,"score":3}\n{"id":5,"score":-7}\n');
  });

  it('cast keeps the exact values and empties the inexact one', async () => {
    const { project, run } = await jsonTwoDays({ on_type_change: 'cast' });
    expect(run.error).toBeUndefined();
    expect(await lastOutput(project)).toBe(
      '{"id":1,"score":1}\n{"id":2,"score":null}\n{"id":3,"score":3}\n{"id":5,"score":-7}\n',
    );
  });
});
