/**
 * `ferry render kubernetes`: one batch/v1 CronJob per scheduled pipeline, for teams whose pipelines
 * outgrow one `ferry serve` container. Pure: project + pipelines + options → objects and problems.
 *
 * Each CronJob runs `ferry apply --pipeline NAME` in its pipeline's time zone, never two at once
 * (`concurrencyPolicy: Forbid`); a missed time is caught up once within `startingDeadlineSeconds`
 * (kubernetes-schedule.ts). Correctness across several schedulers (two clusters, a manual apply)
 * rests on the state backend's locks, so local state is refused unless a volume holds it.
 */
import { posix } from 'node:path';
import type { Pipeline, Project } from '../config/model.js';
import type { Problem } from '../errors/problem.js';
import { compileKubernetesPod, type PodOptions } from './compile-kubernetes-pod.js';
import type { KubernetesOptions } from './kubernetes-options.js';
import { compileKubernetesSchedule } from './kubernetes-schedule.js';

export type KubernetesObject = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
};

export interface KubernetesInput {
  project: Project;
  pipelines: readonly Pipeline[];
  /** The project's files (ferry.yaml and pipeline files), paths relative to the project directory. */
  files: ReadonlyArray<{ path: string; text: string }>;
  /** ferry.yaml's path relative to the project directory. */
  projectFile: string;
}

/** Where the project is in the container (the image's WORKDIR). */
export const PROJECT_MOUNT = '/project';
/** A ConfigMap holds at most 1 MiB. */
const MAX_CONFIGMAP_BYTES = 1024 * 1024;
/** Job names add 11 characters to the CronJob's; Kubernetes caps names at 63. */
const MAX_CRONJOB_NAME = 52;

export type { ConfigSource, KubernetesOptions } from './kubernetes-options.js';

export function kubernetesName(pipeline: string): string {
  const name = `ferry-${pipeline.replace(/_/g, '-')}`.replace(/-+$/, '');
  return name.length <= MAX_CRONJOB_NAME ? name : name.slice(0, MAX_CRONJOB_NAME).replace(/-+$/, '');
}

function problem(code: string, severity: Problem['severity'], message: string, hint?: string): Problem {
  return { code, severity, message, ...(hint ? { hint } : {}) };
}

/** The local state directory relative to the project, or a problem when it cannot be mounted. */
function stateMount(
  input: KubernetesInput,
  options: KubernetesOptions,
  problems: Problem[],
): string | undefined {
  const { state, directory } = input.project;
  if (state.kind !== 'local') return undefined;
  const relative = posix.normalize(state.directory.slice(directory.length + 1).replace(/\\/g, '/'));
  if (!state.directory.startsWith(`${directory}/`) || relative.startsWith('..')) {
    problems.push(
      problem(
        'KUBERNETES_STATE_OUTSIDE_PROJECT',
        'error',
        'The local state directory is outside the project directory, so it cannot be mounted into the pods.',
        'Use state: {kind: s3}, or keep state inside the project.',
      ),
    );
    return undefined;
  }
  if (options.configFrom.kind === 'git-sync' || options.statePvc === undefined) {
    problems.push(
      problem(
        'KUBERNETES_LOCAL_STATE',
        'error',
        `The project keeps state on local disk (${relative}/), which a CronJob pod loses when it ends${options.configFrom.kind === 'git-sync' ? ' (and git-sync owns the project directory)' : ''}: every run would start from nothing.`,
        'Use the S3 state backend (state: {kind: s3}) — its locks keep runs from several schedulers apart — or, with --config-from configmap, pass --state-pvc CLAIM (a ReadWriteMany volume if jobs may run on different nodes).',
      ),
    );
    return undefined;
  }
  return relative;
}

function configMapOf(input: KubernetesInput, options: KubernetesOptions, name: string, problems: Problem[]) {
  const data: Record<string, string> = {};
  const items: Array<{ key: string; path: string }> = [];
  for (const file of [...input.files].sort((a, b) => a.path.localeCompare(b.path))) {
    if (file.path.startsWith('..') || posix.isAbsolute(file.path)) {
      problems.push(
        problem(
          'KUBERNETES_FILE_OUTSIDE_PROJECT',
          'error',
          `${file.path} is outside the project directory and cannot go into the ConfigMap.`,
          'Keep pipeline files under the directory of ferry.yaml, or use --config-from git-sync.',
        ),
      );
      continue;
    }
    let key = file.path.replace(/[^-._a-zA-Z0-9]/g, '_');
    while (key in data) key = `_${key}`;
    data[key] = file.text;
    items.push({ key, path: file.path });
  }
  const bytes = Object.values(data).reduce((sum, text) => sum + Buffer.byteLength(text), 0);
  if (bytes > MAX_CONFIGMAP_BYTES) {
    problems.push(
      problem(
        'KUBERNETES_CONFIGMAP_TOO_LARGE',
        'error',
        `The project's files take ${bytes} bytes; a ConfigMap holds at most 1 MiB.`,
        'Use --config-from git-sync.',
      ),
    );
  }
  const object: KubernetesObject = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name,
      ...(options.namespace ? { namespace: options.namespace } : {}),
      labels: { 'app.kubernetes.io/name': 'ferry' },
    },
    data,
  };
  return { object, items };
}

export function compileKubernetes(
  input: KubernetesInput,
  options: KubernetesOptions,
): { objects: KubernetesObject[]; problems: Problem[] } {
  const problems: Problem[] = [];
  const objects: KubernetesObject[] = [];
  const state = stateMount(input, options, problems);
  let configItems: Array<{ key: string; path: string }> = [];
  if (options.configFrom.kind === 'configmap') {
    const configMap = configMapOf(input, options, options.configFrom.name, problems);
    objects.push(configMap.object);
    configItems = configMap.items;
  }
  const names = new Map<string, string>();
  for (const pipeline of input.pipelines) {
    if (!pipeline.schedule) {
      problems.push(
        problem(
          'KUBERNETES_NO_SCHEDULE',
          'warning',
          `Pipeline "${pipeline.name}" has no schedule: no CronJob is written for it.`,
          'Add schedule: to run it on a timetable; run it ad hoc with `ferry apply --pipeline NAME` (a Job).',
        ),
      );
      continue;
    }
    const schedule = compileKubernetesSchedule(pipeline.schedule);
    if (!schedule.ok) {
      problems.push(
        problem(
          'KUBERNETES_SCHEDULE_UNSUPPORTED',
          'error',
          `Pipeline "${pipeline.name}" (${pipeline.origin.file}): ${schedule.reason}.`,
          'Use a cron expression, or an every: interval that divides an hour or a day.',
        ),
      );
      continue;
    }
    const name = kubernetesName(pipeline.name);
    const clash = names.get(name);
    if (clash) {
      problems.push(
        problem(
          'KUBERNETES_NAME_CLASH',
          'error',
          `Pipelines "${clash}" and "${pipeline.name}" would both be CronJob ${name}.`,
          'Rename one of them (names are shortened to 52 characters and _ becomes -).',
        ),
      );
      continue;
    }
    names.set(name, pipeline.name);
    const labels = {
      'app.kubernetes.io/name': 'ferry',
      'app.kubernetes.io/component': 'pipeline',
      'ferry.dev/pipeline': name.slice('ferry-'.length),
    };
    const pod: PodOptions = {
      ...options,
      configItems,
      projectFile: input.projectFile,
      ...(state !== undefined ? { stateDirectory: state } : {}),
    };
    objects.push({
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: {
        name,
        ...(options.namespace ? { namespace: options.namespace } : {}),
        labels,
        annotations: {
          'ferry.dev/pipeline': pipeline.name,
          'ferry.dev/schedule': pipeline.schedule.description,
        },
      },
      spec: {
        schedule: schedule.schedule,
        timeZone: schedule.timeZone,
        concurrencyPolicy: 'Forbid',
        startingDeadlineSeconds: schedule.startingDeadlineSeconds,
        suspend: !pipeline.enabled,
        successfulJobsHistoryLimit: 3,
        failedJobsHistoryLimit: 3,
        jobTemplate: {
          metadata: { labels },
          spec: {
            // ferry retries S3 calls itself, and a failed run is safe to repeat at the next time.
            backoffLimit: 0,
            template: { metadata: { labels }, spec: compileKubernetesPod(pipeline.name, pod) },
          },
        },
      },
    });
  }
  return { objects, problems };
}
