/**
 * `ferry render kubernetes`: every manifest it writes validates against the vendored Kubernetes JSON
 * schemas (batch/v1 CronJob and v1 ConfigMap, strict: unknown fields refused; see
 * test/fixtures/kubernetes/README.md), with the fields that make runs safe (timeZone,
 * concurrencyPolicy: Forbid, startingDeadlineSeconds, the apply command); schedules without a
 * Kubernetes form and local state without a volume are refused with codes.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { Pipeline, Project } from '../../../engine/config/model.js';
import { normalizeSchedule } from '../../../engine/config/normalize-pipeline.js';
import { ExitCode } from '../../../engine/errors/exit-codes.js';
import {
  compileKubernetes,
  type KubernetesObject,
  type KubernetesOptions,
} from '../../../engine/plan/compile-kubernetes.js';
import { compileKubernetesSchedule } from '../../../engine/plan/kubernetes-schedule.js';
import { loadProject } from '../../../engine/project/load-project.js';
import { runCliCaptured } from '../../harness/run-cli-captured.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SCHEMAS = join(ROOT, 'test', 'fixtures', 'kubernetes');
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

function schemaValidator(file: string): ValidateFunction {
  // The Kubernetes schemas use nullable union types and OpenAPI's int32/int64/byte formats.
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addFormat('int32', {
    type: 'number',
    validate: (n: number) => Number.isInteger(n) && Math.abs(n) < 2 ** 31,
  });
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isSafeInteger(n) });
  ajv.addFormat('byte', /^[A-Za-z0-9+/]*={0,2}$/);
  return ajv.compile(JSON.parse(readFileSync(join(SCHEMAS, file), 'utf8')) as object);
}

const cronJobSchema = schemaValidator('cronjob-batch-v1.json');
const configMapSchema = schemaValidator('configmap-v1.json');

function expectValid(object: KubernetesObject): void {
  const validate = object.kind === 'CronJob' ? cronJobSchema : configMapSchema;
  const ok = validate(object);
  expect(validate.errors ?? [], `${object.kind} ${object.metadata.name}`).toEqual([]);
  expect(ok).toBe(true);
}

const example = loadProject({ cwd: ROOT, env: {} });
const exampleFiles = example.files.map((path) => ({ path, text: example.sources.get(path) ?? '' }));
const OPTIONS: KubernetesOptions = {
  image: 'registry.example.com/ferry:1.0.0',
  namespace: 'data',
  configFrom: { kind: 'configmap', name: 'ferry-project' },
  secret: 'ferry-env',
  statePvc: 'ferry-state',
  resources: { cpuRequest: '500m', memoryRequest: '1Gi', memoryLimit: '4Gi' },
};

type CronJob = KubernetesObject & {
  spec: {
    schedule: string;
    timeZone: string;
    concurrencyPolicy: string;
    startingDeadlineSeconds: number;
    suspend: boolean;
    jobTemplate: {
      spec: { template: { spec: Record<string, unknown> & { containers: Array<Record<string, unknown>> } } };
    };
  };
};

describe('compileKubernetes', () => {
  it('writes a schema-valid CronJob per scheduled pipeline of the example project, and its ConfigMap', () => {
    const input = {
      project: example.project as Project,
      pipelines: example.pipelines,
      files: exampleFiles,
      projectFile: 'ferry.yaml',
    };
    const { objects, problems } = compileKubernetes(input, OPTIONS);
    expect(problems.filter((p) => p.severity === 'error')).toEqual([]);
    const scheduled = example.pipelines.filter((p) => p.schedule);
    expect(scheduled.length).toBeGreaterThan(3);
    expect(problems.map((p) => p.code)).toEqual(
      example.pipelines.filter((p) => !p.schedule).map(() => 'KUBERNETES_NO_SCHEDULE'),
    );
    expect(objects.map((o) => o.kind)).toEqual(['ConfigMap', ...scheduled.map(() => 'CronJob')]);
    for (const object of objects) expectValid(object);

    const daily = objects.find((o) => o.metadata.name === 'ferry-lytics-export-audience-csv') as CronJob;
    expect(daily.metadata.namespace).toBe('data');
    expect(daily.spec).toMatchObject({
      schedule: '0 6 * * *',
      timeZone: 'America/New_York',
      concurrencyPolicy: 'Forbid',
      startingDeadlineSeconds: 86_400,
      suspend: false,
    });
    const pod = daily.spec.jobTemplate.spec.template.spec;
    expect(pod.containers[0]).toMatchObject({
      image: 'registry.example.com/ferry:1.0.0',
      command: ['ferry'],
      args: ['apply', '--pipeline', 'lytics-export-audience-csv', '--project', 'ferry.yaml'],
      workingDir: '/project',
      envFrom: [{ secretRef: { name: 'ferry-env' } }],
    });
    expect(pod['volumes']).toContainEqual({
      name: 'state',
      persistentVolumeClaim: { claimName: 'ferry-state' },
    });
    const hourly = objects.find((o) => o.metadata.name === 'ferry-lytics-export-activity') as CronJob;
    // 50 × the shortest interval (fewer than the 100 missed times after which Kubernetes stops
    // trying), at most a day.
    expect(hourly.spec.startingDeadlineSeconds).toBe(86_400);
  });

  it('the schema check can fail: a wrong type or an unknown field is refused', () => {
    const input = {
      project: example.project as Project,
      pipelines: example.pipelines,
      files: exampleFiles,
      projectFile: 'ferry.yaml',
    };
    const cronJob = compileKubernetes(input, OPTIONS).objects.find((o) => o.kind === 'CronJob') as CronJob;
    expect(cronJobSchema({ ...cronJob, spec: { ...cronJob.spec, startingDeadlineSeconds: 'soon' } })).toBe(
      false,
    );
    expect(cronJobSchema({ ...cronJob, spec: { ...cronJob.spec, timezone: 'UTC' } })).toBe(false);
  });

  it('clones the project with git-sync and signs in with a service account (S3 state)', () => {
    const project: Project = {
      ...(example.project as Project),
      state: {
        kind: 's3',
        connection: 'demo',
        bucket: 'ferry-state',
        prefix: 'ferry/',
        lock: 'required',
        lockTtlMs: 600_000,
      },
    };
    const { objects, problems } = compileKubernetes(
      { project, pipelines: example.pipelines, files: exampleFiles, projectFile: 'ferry.yaml' },
      {
        image: 'ferry:latest',
        configFrom: {
          kind: 'git-sync',
          repo: 'https://github.com/acme/pipelines',
          ref: 'main',
          image: 'registry.k8s.io/git-sync/git-sync:v4.4.0',
          subdir: 'ferry',
        },
        serviceAccount: 'ferry',
        resources: OPTIONS.resources,
      },
    );
    expect(problems.filter((p) => p.severity === 'error')).toEqual([]);
    expect(objects.every((o) => o.kind === 'CronJob')).toBe(true);
    for (const object of objects) expectValid(object);
    const pod = (objects[0] as CronJob).spec.jobTemplate.spec.template.spec;
    expect(pod['serviceAccountName']).toBe('ferry');
    expect(pod.containers[0]?.['workingDir']).toBe('/git/project/ferry');
    expect(pod['initContainers']).toEqual([
      expect.objectContaining({
        name: 'git-sync',
        args: expect.arrayContaining(['--repo=https://github.com/acme/pipelines', '--one-time']),
      }),
    ]);
  });

  it('refuses local state without a volume, and any state with git-sync', () => {
    const input = {
      project: example.project as Project,
      pipelines: example.pipelines,
      files: exampleFiles,
      projectFile: 'ferry.yaml',
    };
    const { statePvc: _ignored, ...withoutPvc } = OPTIONS;
    expect(
      compileKubernetes(input, withoutPvc)
        .problems.filter((p) => p.severity === 'error')
        .map((p) => p.code),
    ).toEqual(['KUBERNETES_LOCAL_STATE']);
    const gitSync: KubernetesOptions = {
      ...OPTIONS,
      configFrom: { kind: 'git-sync', repo: 'r', ref: 'main', image: 'i', subdir: '' },
    };
    expect(compileKubernetes(input, gitSync).problems.map((p) => p.code)).toContain('KUBERNETES_LOCAL_STATE');
  });

  it('refuses a schedule Kubernetes cannot express, naming the pipeline', () => {
    const base = example.pipelines.find((p) => p.schedule) as Pipeline;
    const every5h = { ...base, name: 'five-hourly', schedule: normalizeSchedule({ every: '5h' }, 'UTC') };
    const lastDay = {
      ...base,
      name: 'month-end',
      schedule: normalizeSchedule({ monthly: { day: 'last', at: '23:00' } }, 'UTC'),
    };
    const input = {
      project: example.project as Project,
      pipelines: [every5h, lastDay],
      files: exampleFiles,
      projectFile: 'ferry.yaml',
    };
    const { problems } = compileKubernetes(input, OPTIONS);
    expect(problems.map((p) => [p.code, /"([^"]+)"/.exec(p.message)?.[1]])).toEqual([
      ['KUBERNETES_SCHEDULE_UNSUPPORTED', 'five-hourly'],
      ['KUBERNETES_SCHEDULE_UNSUPPORTED', 'month-end'],
    ]);
  });
});

describe('compileKubernetesSchedule', () => {
  it.each([
    [{ every: '6h' }, '0 */6 * * *', 86_400],
    [{ every: '15m' }, '*/15 * * * *', 45_000],
    [{ weekly: { on: 'wednesday' as const, at: '07:30' } }, '30 7 * * 3', 86_400],
    [{ cron: '0 9 * JUL WED', catch_up: false }, '0 9 * JUL WED', 300],
    [{ hourly: { at_minute: 5 }, catch_up: false }, '5 * * * *', 300],
    [{ every: '5m', catch_up: false }, '*/5 * * * *', 150],
  ])('%j → %s, startingDeadlineSeconds %i', (spec, cron, deadline) => {
    expect(
      compileKubernetesSchedule(normalizeSchedule({ ...spec, timezone: 'Europe/Berlin' }, 'UTC')),
    ).toEqual({
      ok: true,
      schedule: cron,
      timeZone: 'Europe/Berlin',
      startingDeadlineSeconds: deadline,
    });
  });

  it.each([
    [{ every: '7h' }],
    [{ every: '90m' }],
    [{ cron: '0 0 L * *' }],
    [{ cron: '0 0 * * 1#2' }],
    [{ cron: '0 0 0 * * *' }],
  ])('%j has no Kubernetes form', (spec) => {
    expect(compileKubernetesSchedule(normalizeSchedule(spec, 'UTC')).ok).toBe(false);
  });
});

describe('ferry render kubernetes', () => {
  it('writes one file per object with --out, each a valid YAML document', async () => {
    const out = await mkdtemp(join(tmpdir(), 'ferry-render-'));
    try {
      const run = await runCliCaptured(['render', 'kubernetes', '--state-pvc', 'ferry-state', '--out', out], {
        cwd: ROOT,
        env: {},
      });
      expect(run.code, run.stderr).toBe(ExitCode.ok);
      const files = (await readdir(out)).sort();
      expect(files).toContain('configmap-ferry-project.yaml');
      expect(files).toContain('cronjob-ferry-vitally-users.yaml');
      for (const file of files) {
        const docs = parseAllDocuments(await readFile(join(out, file), 'utf8'));
        expect(Array.isArray(docs) ? docs.length : 0).toBe(1);
        expectValid((Array.isArray(docs) ? docs[0]?.toJS() : undefined) as KubernetesObject);
      }
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });

  it('prints a YAML stream, exits 3 on KUBERNETES_LOCAL_STATE and 64 without a target', async () => {
    const stream = await runCliCaptured(['render', 'kubernetes', '--state-pvc', 'ferry-state'], {
      cwd: ROOT,
      env: {},
    });
    expect(stream.code, stream.stderr).toBe(ExitCode.ok);
    expect(parseAllDocuments(stream.stdout)).toHaveLength(
      1 + example.pipelines.filter((p) => p.schedule).length,
    );
    const local = await runCliCaptured(['render', 'kubernetes'], { cwd: ROOT, env: {} });
    expect(local.code).toBe(ExitCode.invalidConfig);
    expect(local.stderr).toContain('KUBERNETES_LOCAL_STATE');
    expect((await runCliCaptured(['render'], { cwd: ROOT, env: {} })).code).toBe(ExitCode.usage);
    expect(
      (await runCliCaptured(['render', 'kubernetes', '--cpu', 'lots'], { cwd: ROOT, env: {} })).code,
    ).toBe(ExitCode.usage);
  });
});
