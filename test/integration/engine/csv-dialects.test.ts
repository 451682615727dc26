/**
 * CSV dialects end to end: what a vendor drops in S3 → what ferry publishes, byte for byte. The
 * dialect is pinned from the config (never sniffed), so each delimiter, quoting, CRLF and a BOM must
 * come out as the same rows in a plain comma CSV.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyCounts } from '../../../engine/state/pipeline-state.js';
import { at, startEngineFixture, type EngineFixture } from './engine-fixture.js';

let fx: EngineFixture;
beforeAll(async () => {
  fx = await startEngineFixture();
});
afterAll(async () => {
  await fx?.stop();
});

const NOW = at('2024-05-01T06:00:00Z');

/** One file in, one apply, the single output's key and text back. */
async function convert(input: { format: Record<string, unknown>; key: string; body: string | Buffer }) {
  const project = await fx.createProject();
  await project.writePipeline('p', {
    name: 'p',
    source: { prefix: 'in/', format: { kind: 'csv', ...input.format } },
    sink: { directory: 'out/', filename: 'rows-{{timestamp}}', format: 'csv' },
  });
  await project.put(input.key, input.body);
  const plan = await project.run('apply', { now: NOW });
  expect(plan.error).toBeUndefined();
  const listed = await project.list();
  expect(listed.map((o) => o.key)).toEqual(['out/rows-20240501060000.csv']);
  const text = (await project.get('out/rows-20240501060000.csv')).toString('utf8');
  expect(plan.outputs).toEqual([
    {
      bucket: project.sinkBucket,
      key: 'out/rows-20240501060000.csv',
      format: 'csv',
      rows: plan.counts.rowsWritten,
      bytes: Buffer.byteLength(text),
    },
  ]);
  return { plan, text };
}

function counts(rows: number) {
  return {
    ...emptyCounts(),
    filesMatched: 1,
    filesNew: 1,
    rowsRead: rows,
    rowsWritten: rows,
    objectsWritten: 1,
  };
}

describe('delimiters', () => {
  const expected = 'id,name,city\n1,Ada,London\n2,Bob,Paris\n';

  it('reads TAB given as `t`', async () => {
    const { plan, text } = await convert({
      format: { delimiter: 't' },
      key: 'in/a.tsv',
      body: 'id\tname\tcity\n1\tAda\tLondon\n2\tBob\tParis\n',
    });
    expect(plan.counts).toEqual(counts(2));
    expect(text).toBe(expected);
  });

  it("reads TAB given as '\\t' in YAML single quotes", async () => {
    const project = await fx.createProject();
    await project.writePipeline(
      'p',
      [
        'name: p',
        'source:',
        '  kind: s3',
        '  connection: src',
        `  bucket: ${project.sourceBucket}`,
        '  format:',
        '    kind: csv',
        "    delimiter: '\\t'",
        'sink:',
        '  kind: s3',
        '  connection: dst',
        `  bucket: ${project.sinkBucket}`,
        "  filename: 'rows-{{timestamp}}'",
        '  format: csv',
        '',
      ].join('\n'),
    );
    await project.put('a.tsv', 'id\tname\tcity\n1\tAda\tLondon\n2\tBob\tParis\n');
    const plan = await project.run('apply', { now: NOW });
    expect(plan.error).toBeUndefined();
    expect(plan.counts).toEqual(counts(2));
    expect((await project.list()).map((o) => o.key)).toEqual(['rows-20240501060000.csv']);
    expect((await project.get('rows-20240501060000.csv')).toString()).toBe(expected);
  });

  it('reads semicolons, with a semicolon and a comma inside quotes', async () => {
    const { plan, text } = await convert({
      format: { delimiter: ';' },
      key: 'in/a.csv',
      body: 'id;name;city\n1;"Ada; Countess";"London, UK"\n2;Bob;Paris\n',
    });
    expect(plan.counts).toEqual(counts(2));
    expect(text).toBe('id,name,city\n1,Ada; Countess,"London, UK"\n2,Bob,Paris\n');
  });

  it('reads pipes', async () => {
    const { plan, text } = await convert({
      format: { delimiter: '|' },
      key: 'in/a.psv',
      body: 'id|name|city\n1|Ada|London\n2|Bob|Paris\n',
    });
    expect(plan.counts).toEqual(counts(2));
    expect(text).toBe(expected);
  });
});

describe('quoting, line endings, BOM', () => {
  it('keeps embedded newlines, delimiters and doubled quotes inside quoted fields', async () => {
    const { plan, text } = await convert({
      format: {},
      key: 'in/a.csv',
      body: 'id,note\n1,"two\nlines"\n2,"a, b"\n3,"say ""hi"""\n',
    });
    expect(plan.counts).toEqual(counts(3));
    expect(text).toBe('id,note\n1,"two\nlines"\n2,"a, b"\n3,"say ""hi"""\n');
  });

  it('reads CRLF files: record ends lose the CR, a CRLF inside quotes is data', async () => {
    const { plan, text } = await convert({
      format: {},
      key: 'in/a.csv',
      body: 'id,name\r\n1,Ada\r\n2,"Bob\r\nJr"\r\n',
    });
    expect(plan.counts).toEqual(counts(2));
    expect(text).toBe('id,name\n1,Ada\n2,"Bob\r\nJr"\n');
  });

  it('strips a UTF-8 BOM, so the first column name is clean', async () => {
    const project = await fx.createProject();
    await project.writePipeline('p', {
      name: 'p',
      source: { format: { kind: 'csv' } },
      // Selecting the first column by its clean name proves the BOM is not part of it.
      mapping: { fields: ['id', 'name'] },
      sink: { filename: 'rows-{{timestamp}}', format: 'csv' },
    });
    await project.put(
      'a.csv',
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('id,name\n1,Zoë\n')]),
    );
    const plan = await project.run('apply', { now: NOW });
    expect(plan.error).toBeUndefined();
    expect(plan.counts).toEqual(counts(1));
    const bytes = await project.get('rows-20240501060000.csv');
    expect(bytes.subarray(0, 3)).not.toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    expect(bytes.toString('utf8')).toBe('id,name\n1,Zoë\n');
  });
});

describe('column names', () => {
  it('source.format.columns names the columns of a header ferry cannot use (a duplicate name)', async () => {
    const { plan, text } = await convert({
      format: { columns: ['id', 'first_name', 'last_name'] },
      key: 'in/people.csv',
      body: 'id,name,name\n1,Ada,Lovelace\n',
    });
    expect(plan.counts).toEqual(counts(1));
    expect(text).toBe('id,first_name,last_name\n1,Ada,Lovelace\n');
  });

  it('and the columns of a file without a header', async () => {
    const { text } = await convert({
      format: { header: false, columns: ['id', 'name'] },
      key: 'in/people.csv',
      body: '1,Ada\n2,Bob\n',
    });
    expect(text).toBe('id,name\n1,Ada\n2,Bob\n');
  });
});

describe('a file the dialect does not fit', () => {
  it('a wrong delimiter on a file with quoted fields: CSV_WRONG_DELIMITER with the file, line and fix', async () => {
    const project = await fx.createProject();
    await project.writePipeline('p', {
      name: 'p',
      source: { format: { kind: 'csv' } },
      sink: { filename: 'out', format: 'csv' },
    });
    await project.put('vendor.csv', '"id";"name"\n"1";"Ada, Countess"\n');
    const plan = await project.run('plan', { now: NOW });
    expect(plan.error?.code).toBe('CSV_WRONG_DELIMITER');
    expect(plan.error?.message).toContain(`s3://${project.sourceBucket}/vendor.csv`);
    expect(plan.error?.message).toContain('line 1');
    expect(plan.error?.hint).toContain('delimiter: ";"');
  });

  it('a line over max_line_size names the object, the line and the option; raising it reads the file', async () => {
    const project = await fx.createProject();
    const write = (maxLineSize?: string) =>
      project.writePipeline('p', {
        name: 'p',
        source: {
          format: { kind: 'csv', ...(maxLineSize !== undefined ? { max_line_size: maxLineSize } : {}) },
        },
        sink: { filename: 'out', format: 'csv' },
      });
    await write();
    await project.put('big.csv', `id,blob\n1,"${'x'.repeat(2_500_000)}"\n2,b\n`);
    const failed = await project.run('plan', { now: NOW });
    expect(failed.error?.code).toBe('CSV_LINE_TOO_LONG');
    expect(failed.error?.message).toContain(`s3://${project.sourceBucket}/big.csv: line 2 `);
    expect(failed.error?.hint).toContain('source.format.max_line_size');
    await write('3MB');
    const ok = await project.run('apply', { now: NOW });
    expect(ok.error).toBeUndefined();
    expect(ok.counts).toMatchObject({ rowsRead: 2, rowsWritten: 2 });
  });
});
