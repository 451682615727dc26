/**
 * Exfiltration through references in ordinary settings (docs/security.md, "References"): whoever can
 * open a pull request can write `${env:…}` or `${file:…}` into any setting. Canary values are put
 * behind references in every kind of setting and searched for in every output: validate, plan (text,
 * Markdown, JSON, --show-sql, --out), plan --offline against state and against a git ref, apply,
 * state and run records.
 *
 * 1. References the rule refuses (a variable outside references.env, one a secret setting reads, a
 *    secret-shaped name, files outside the project, through `..`, a symlink or a hidden directory)
 *    are reported where they are written and never read.
 * 2. References the rule allows still show as references, never values, in config changes, offline
 *    reviews and state; and a changed value makes a saved plan stale.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allFiles } from '../../harness/all-files.js';
import { runCliCaptured, type CapturedRun } from '../../harness/run-cli-captured.js';
import { startS3Server, type S3TestServer } from '../../harness/s3-server.js';
import { uniqueBucket } from '../../harness/unique-bucket.js';

let server: S3TestServer;
beforeAll(async () => {
  server = await startS3Server();
});
afterAll(async () => {
  await server?.stop();
});

/** Valid as a description, a prefix, a regex, an identifier and inside SQL, so validation passes it. */
const canary = (label: string) => `canary_${label}_${randomBytes(10).toString('hex')}`;

/** "where: which canary" for every artifact that holds one. */
function leaks(
  artifacts: ReadonlyArray<readonly [string, string]>,
  values: Record<string, string>,
): string[] {
  return artifacts.flatMap(([where, text]) =>
    Object.entries(values)
      .filter(([, value]) => text.includes(value))
      .map(([name]) => `${where}: ${name}`),
  );
}

function git(dir: string, ...args: string[]): void {
  execFileSync('git', ['-c', 'user.name=ferry', '-c', 'user.email=ferry@example.invalid', ...args], {
    cwd: dir,
    stdio: 'ignore',
  });
}

/** Every CLI invocation a pull-request check or an operator could run, with all output kept. */
async function everyOutput(dir: string, env: NodeJS.ProcessEnv): Promise<Map<string, CapturedRun>> {
  const runs = new Map<string, CapturedRun>();
  const commands: string[][] = [
    ['validate'],
    ['validate', '--format', 'json'],
    ['validate', '--format', 'github'],
    ['plan', '--show-sql'],
    ['plan', '--format', 'markdown', '--show-sql'],
    ['plan', '--format', 'json', '--show-sql', '--out', 'plan.json'],
    ['plan', '--offline'],
    ['plan', '--offline', '--format', 'markdown'],
    ['plan', '--offline', '--format', 'json'],
    ['plan', '--offline', '--base', 'HEAD'],
    ['plan', '--offline', '--base', 'HEAD', '--format', 'markdown'],
    ['plan', '--offline', '--base', 'HEAD', '--format', 'json'],
  ];
  for (const args of commands) runs.set(args.join(' '), await runCliCaptured(args, { cwd: dir, env }));
  return runs;
}

async function putInput(bucket: string, key = 'a.csv'): Promise<void> {
  await server.createBucket(bucket);
  await server.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'id,name\n1,x\n' }));
}

const ferryYaml = (extra: string, sessionToken = '${env:FERRY_SESSION}') =>
  [
    'version: 1',
    'connections:',
    '  s3:',
    `    endpoint: ${server.endpoint}`,
    '    force_path_style: true',
    `    auth: {kind: static, access_key_id: "\${env:K}", secret_access_key: "\${env:S}", session_token: "${sessionToken}"}`,
    extra,
    '',
  ].join('\n');

describe('references the rule refuses', () => {
  it('are reported where they are written, and their values reach no output and no file', async () => {
    const root = mkdtempSync(join(tmpdir(), 'ferry-refs-'));
    const dir = join(root, 'project');
    mkdirSync(join(dir, 'pipelines'), { recursive: true });
    const values = {
      env: canary('env'),
      session: canary('session'),
      aws: canary('aws'),
      outside: canary('outside'),
      hidden: canary('hidden'),
    };
    writeFileSync(join(root, 'outside.txt'), values.outside);
    mkdirSync(join(dir, '.hidden'));
    writeFileSync(join(dir, '.hidden', 'secret.txt'), values.hidden);
    mkdirSync(join(dir, 'notes'));
    symlinkSync(join(root, 'outside.txt'), join(dir, 'notes', 'link.txt'));
    const input = uniqueBucket('in');
    const output = uniqueBucket('out');
    await putInput(input, `${values.outside}/a.csv`);
    await server.createBucket(output);

    // The base: what main holds.
    writeFileSync(join(dir, 'ferry.yaml'), ferryYaml('datasets:\n  accounts: {kind: entity, key: [id]}'));
    const base = `name: p\nsource: {kind: s3, connection: s3, bucket: ${input}, format: {kind: csv}}\nsink: {kind: s3, connection: s3, bucket: ${output}, format: csv}\n`;
    writeFileSync(join(dir, 'pipelines', 'p.yaml'), base);
    writeFileSync(join(dir, '.gitignore'), 'state/\nplan.json\n');
    git(dir, 'init', '-q');
    git(dir, 'add', '.');
    git(dir, 'commit', '-q', '-m', 'base');

    // The pull request: a reference in every kind of setting, in both files.
    const abs = join(root, 'outside.txt');
    writeFileSync(
      join(dir, 'ferry.yaml'),
      ferryYaml(
        [
          'datasets:',
          '  accounts:',
          '    kind: entity',
          '    key: [id]',
          '    description: "${file:../outside.txt}"',
          'segments:',
          '  big: {dataset: accounts, where: "name = \'${env:FERRY_SESSION}\'"}',
          'state: {kind: local, directory: "state/${file:notes/link.txt}"}',
        ].join('\n'),
      ),
    );
    const pr = [
      'name: p',
      'description: "${env:CANARY_ENV} and ${file:/proc/self/environ}"',
      'source:',
      '  kind: s3',
      '  connection: s3',
      `  bucket: ${input}`,
      '  prefix: "${file:notes/link.txt}/"',
      '  match: "${file:.hidden/secret.txt}|a[.]csv"',
      '  format: {kind: csv}',
      'mapping:',
      '  rename: {name: "${env:CANARY_ENV}"}',
      `  compute: {outside: "'\${file:${abs}}'", aws: "'\${env:AWS_SECRET_ACCESS_KEY}'", session: "'\${env:FERRY_SESSION}'"}`,
      'sink:',
      '  kind: s3',
      '  connection: s3',
      `  bucket: ${output}`,
      '  directory: "${file:./../outside.txt}/"',
      '  filename: "out-${env:CANARY_ENV}-{{run_id}}"',
      '  format: csv',
      '',
    ].join('\n');
    writeFileSync(join(dir, 'pipelines', 'p.yaml'), pr);
    const env = {
      K: 'S3RVER',
      S: 'S3RVER',
      FERRY_SESSION: values.session,
      CANARY_ENV: values.env,
      AWS_SECRET_ACCESS_KEY: values.aws,
    };

    const runs = await everyOutput(dir, env);
    runs.set('apply', await runCliCaptured(['apply'], { cwd: dir, env }));

    const sources = new Set([join(dir, '.hidden', 'secret.txt'), join(dir, 'notes', 'link.txt')]);
    const artifacts = [
      ...[...runs].map(([command, run]) => [command, run.output] as const),
      ...allFiles(dir)
        .filter((f) => !sources.has(f) && !f.includes(`${dir}/.git/`))
        .map((f) => [relative(dir, f), readFileSync(f, 'utf8')] as const),
    ];
    expect(leaks(artifacts, values)).toEqual([]);
    for (const [command, run] of runs) expect(run.code, `${command}: ${run.output}`).toBe(3);

    // Every line that holds a reference has its CONFIG_REFERENCE_NOT_ALLOWED, at that line.
    const validate = JSON.parse(runs.get('validate --format json')?.stdout ?? '{}') as {
      problems: Array<{ code: string; at?: { file: string; line: number } }>;
    };
    const reported = new Set(
      validate.problems
        .filter((p) => p.code === 'CONFIG_REFERENCE_NOT_ALLOWED')
        .map((p) => `${p.at?.file}:${p.at?.line}`),
    );
    const written = (file: string, text: string, allowed: RegExp) =>
      text
        .split('\n')
        .map((line, i) => ({ line, at: `${file}:${i + 1}` }))
        .filter(({ line }) => line.includes('${') && !allowed.test(line))
        .map(({ at }) => at);
    const expected = [
      ...written('ferry.yaml', readFileSync(join(dir, 'ferry.yaml'), 'utf8'), /auth:/),
      ...written('pipelines/p.yaml', pr, /^$/),
    ];
    expect(expected.length).toBe(10);
    expect([...reported].sort()).toEqual(expected.sort());
  });
});

describe('references the rule allows', () => {
  it('show as references in plans, offline reviews and state; a changed value makes a saved plan stale', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ferry-refs-allowed-'));
    mkdirSync(join(dir, 'pipelines'));
    mkdirSync(join(dir, 'notes'));
    const values = { description: canary('description'), dataset: canary('dataset') };
    writeFileSync(join(dir, 'notes', 'dataset.txt'), `${values.dataset}\n`);
    const input = uniqueBucket('in');
    const output = uniqueBucket('out');
    await putInput(input);
    await server.createBucket(output);
    const pipeline = (description: string, bucket: string) =>
      `name: p\ndescription: "${description}"\nsource: {kind: s3, connection: s3, bucket: ${input}, format: {kind: csv}}\nsink: {kind: s3, connection: s3, bucket: "${bucket}", format: csv}\n`;
    const dataset = (description: string) =>
      `datasets:\n  accounts: {kind: entity, key: [id], description: "${description}"}`;
    const env = { K: 'S3RVER', S: 'S3RVER', FERRY_DESC: values.description, FERRY_OUT: output };

    // Applied and committed: literal settings.
    writeFileSync(join(dir, 'ferry.yaml'), ferryYaml(dataset('accounts'), '${env:K}'));
    writeFileSync(join(dir, 'pipelines', 'p.yaml'), pipeline('v1', output));
    writeFileSync(join(dir, '.gitignore'), 'state/\nplan.json\n');
    git(dir, 'init', '-q');
    git(dir, 'add', '.');
    git(dir, 'commit', '-q', '-m', 'base');
    expect((await runCliCaptured(['apply'], { cwd: dir, env })).code).toBe(0);

    // The change: the same settings by reference.
    writeFileSync(join(dir, 'ferry.yaml'), ferryYaml(dataset('${file:notes/dataset.txt}'), '${env:K}'));
    writeFileSync(join(dir, 'pipelines', 'p.yaml'), pipeline('${env:FERRY_DESC}', '${env:FERRY_OUT}'));
    const runs = await everyOutput(dir, env);
    expect(
      leaks(
        [...runs].map(([command, run]) => [command, run.output] as const),
        values,
      ),
    ).toEqual([]);
    for (const [command, run] of runs) expect(run.code, `${command}: ${run.output}`).toBe(0);
    // Each review names the references (the change is visible, the value is not).
    for (const command of ['plan', 'plan --offline', 'plan --offline --base HEAD']) {
      for (const format of ['', ' --format markdown', ' --format json']) {
        const key = command === 'plan' ? `plan${format} --show-sql` : `${command}${format}`;
        const text = runs.get(
          key === 'plan --format json --show-sql' ? `${key} --out plan.json` : key,
        )?.stdout;
        expect(text, key).toContain('${env:FERRY_DESC}');
      }
    }
    expect(runs.get('plan --offline --base HEAD')?.stdout).toContain('${file:notes/dataset.txt}');

    // The plan saw FERRY_OUT's value: once it names another bucket, the saved plan is stale.
    const elsewhere = uniqueBucket('out');
    await server.createBucket(elsewhere);
    const changed = { ...env, FERRY_OUT: elsewhere };
    const stale = await runCliCaptured(['apply', '--plan', 'plan.json'], { cwd: dir, env: changed });
    expect(stale.code, stale.output).toBe(5);
    const applied = await runCliCaptured(['apply'], { cwd: dir, env });
    expect(applied.code, applied.output).toBe(0);

    const state = JSON.parse(readFileSync(join(dir, 'state', 'pipelines', 'p', 'state.json'), 'utf8')) as {
      appliedConfig: { description: string; sink: { bucket: string } };
    };
    expect(state.appliedConfig.description).toBe('${env:FERRY_DESC}');
    expect(state.appliedConfig.sink.bucket).toBe('${env:FERRY_OUT}');
    const files = allFiles(dir)
      .filter((f) => !f.includes(`${dir}/.git/`) && !f.endsWith('dataset.txt'))
      .map((f) => [relative(dir, f), readFileSync(f, 'utf8')] as const);
    expect(leaks([['apply', applied.output], ...files], values)).toEqual([]);
  });
});
