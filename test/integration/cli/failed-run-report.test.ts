/**
 * A failed run reports as much as a successful one (over `source.format.max_rejects`): `ferry apply`
 * prints the first rejected lines (line and reason) and where all of them are kept, the run record
 * counts the rejects, and the warnings found before the failure (a sequence gap, an overdue file)
 * are still shown. CSV and NDJSON, through s3rver and the command line.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_PROJECT_ENV, createCliProject, type CliProject } from '../../harness/cli-project.js';
import { runCliCaptured } from '../../harness/run-cli-captured.js';
import { startS3Server, type S3TestServer } from '../../harness/s3-server.js';

let server: S3TestServer;
beforeAll(async () => {
  server = await startS3Server();
});
afterAll(async () => {
  await server?.stop();
});

const cli = (project: CliProject, args: string[]) =>
  runCliCaptured(args, { cwd: project.dir, env: CLI_PROJECT_ENV });

interface Case {
  name: string;
  code: string;
  format: string;
  /** Source objects (key → body); files dated 2024 make the sequence overdue today. */
  files: Record<string, string>;
  /** The report's reject lines: file, line, reason prefix. */
  rejects: Array<{ file: string; line: number; reason: string }>;
  rowsRead: number;
  warnings: string[];
}

const sequence =
  "match: '^d_(?P<timestamp>\\d{8})\\.(csv|ndjson)$', timestamp_format: YYYYMMDD, pick: sequence, " +
  'sequence: {expect_every: 24h, grace: 1h}, ';

const cases: Case[] = [
  {
    name: 'CSV',
    code: 'CSV_REJECTS_OVER_LIMIT',
    format: '{kind: csv, max_rejects: 1}',
    // 05-02 is missing: a gap before 05-03. Lines 3 and 5 of the second file are ragged.
    files: {
      'in/d_20240501.csv': 'id,name\n1,Ada\n',
      'in/d_20240503.csv': 'id,name\n2,Bo\n3\n4,Cy\n5,Di,extra\n',
    },
    rejects: [
      { file: 'in/d_20240503.csv', line: 3, reason: 'missing-columns' },
      { file: 'in/d_20240503.csv', line: 5, reason: 'too-many-columns' },
    ],
    rowsRead: 5,
    warnings: ['SEQUENCE_GAP', 'SEQUENCE_OVERDUE'],
  },
  {
    name: 'NDJSON',
    code: 'JSON_REJECTS_OVER_LIMIT',
    format: '{kind: json, layout: ndjson, max_rejects: 1}',
    files: {
      'in/d_20240501.ndjson': '{"id":"1"}\n',
      'in/d_20240503.ndjson': '{"id":"2"}\n{"id": oops}\n[1,2]\n{"id":"5"}\n',
    },
    rejects: [
      { file: 'in/d_20240503.ndjson', line: 2, reason: 'malformed' },
      { file: 'in/d_20240503.ndjson', line: 3, reason: 'not-an-object' },
    ],
    rowsRead: 5,
    warnings: ['SEQUENCE_GAP', 'SEQUENCE_OVERDUE'],
  },
];

describe.each(cases)('apply over max_rejects ($name)', (c) => {
  it('prints the first rejects and their file, counts them in the run record, keeps the warnings', async () => {
    const p = await createCliProject({ server, label: 'failed-report' });
    await writeFile(
      join(p.dir, 'pipelines', 'p.yaml'),
      `name: p\nsource: {kind: s3, connection: s3, bucket: ${p.input}, prefix: in/, ${sequence}format: ${c.format}}\n` +
        `sink: {kind: s3, connection: s3, bucket: ${p.output}, directory: out/, filename: 'out-{{run_id}}', format: csv}\n`,
    );
    for (const [key, body] of Object.entries(c.files))
      await server.client.send(new PutObjectCommand({ Bucket: p.input, Key: key, Body: body }));

    const run = await cli(p, ['apply']);
    expect(run.code, run.output).toBe(1);
    expect(run.stdout).toContain(`[${c.code}]`);

    // The run record of the failed attempt counts what was read and rejected.
    const runsDir = join(p.dir, 'state', 'pipelines', 'p', 'runs');
    const names = (await readdir(runsDir)).sort();
    const recordName = names.find((n) => n.endsWith('.json'));
    const csvName = names.find((n) => n.endsWith('.rejected.csv'));
    expect(names).toHaveLength(2);
    const record = JSON.parse(await readFile(join(runsDir, recordName ?? ''), 'utf8')) as {
      status: string;
      counts: { rowsRead: number; rowsRejected: number };
      rejectedRowsFile?: string;
      error: { code: string };
    };
    expect(record.status).toBe('failed');
    expect(record.error.code).toBe(c.code);
    expect(record.counts.rowsRejected).toBe(c.rejects.length);
    expect(record.counts.rowsRead).toBe(c.rowsRead);
    const rejectedFile = `state/pipelines/p/runs/${csvName ?? ''}`;
    expect(record.rejectedRowsFile).toBe(rejectedFile);

    // The rejected-rows file holds every rejected line.
    const rows = parse<Record<string, string>>(await readFile(join(p.dir, rejectedFile), 'utf8'), {
      columns: true,
    });
    expect(rows.map((r) => ({ file: r['file'], line: Number(r['line']), step: r['step'] }))).toEqual(
      c.rejects.map((r) => ({ file: r.file, line: r.line, step: 'read' })),
    );

    // The text output: counts, the rejects with line and reason, the file, the warnings.
    const lines = run.stdout.split('\n').map((l) => l.trim());
    expect(lines).toContain(`rejects  ${c.rejects.length} rows rejected, all kept in ${rejectedFile}:`);
    for (const reject of c.rejects) {
      expect(lines.some((l) => l.startsWith(`${reject.file} line ${reject.line}: ${reject.reason}`))).toBe(
        true,
      );
    }
    expect(lines.some((l) => l.startsWith(`rows     ${c.rowsRead} read, ${c.rejects.length} rejected`))).toBe(
      true,
    );
    for (const code of c.warnings)
      expect(lines.some((l) => l.startsWith('warning') && l.endsWith(`[${code}]`))).toBe(true);
    // And nothing was written.
    const state = JSON.parse((await cli(p, ['state', 'show', 'p'])).stdout) as { processed: unknown[] };
    expect(state.processed).toEqual([]);
  });
});
