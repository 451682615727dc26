/**
 * `ferry render kubernetes`: CronJob manifests, one per scheduled pipeline (and the ConfigMap of the
 * project's files), for teams whose pipelines outgrow one `ferry serve` container. Reads configuration
 * only: no credentials, no network. Without --out the manifests go to stdout as one YAML stream.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { ExitCode } from '../../errors/exit-codes.js';
import { hasErrors } from '../../errors/problem.js';
import { compileKubernetes, type ConfigSource } from '../../plan/compile-kubernetes.js';
import {
  kubernetesFileName,
  renderKubernetesObject,
  renderKubernetesStream,
} from '../../report/render-kubernetes.js';
import { renderProblemsText } from '../../report/render-problems.js';
import { UsageError, type CommandContext, type CommandSpec } from '../command.js';
import { loadValidProject } from '../load-valid-project.js';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const QUANTITY = /^[0-9]+(\.[0-9]+)?(m|k|Ki|M|Mi|G|Gi|T|Ti)?$/;

function text(values: CommandContext['values'], key: string): string | undefined {
  const value = values[key];
  return typeof value === 'string' ? value : undefined;
}

function checkName(value: string | undefined, flag: string): void {
  if (value !== undefined && !DNS_LABEL.test(value) && !/^[a-z0-9][-a-z0-9.]{0,252}$/.test(value)) {
    throw new UsageError(
      `--${flag} must be a Kubernetes name (lowercase letters, digits, "-" and "."), got "${value}".`,
    );
  }
}

function configSource(values: CommandContext['values']): ConfigSource {
  if (values['config-from'] === 'git-sync') {
    const repo = text(values, 'git-repo');
    if (!repo)
      throw new UsageError(
        '--config-from git-sync needs --git-repo URL (the repository that holds ferry.yaml).',
      );
    return {
      kind: 'git-sync',
      repo,
      ref: text(values, 'git-ref') ?? 'main',
      image: text(values, 'git-sync-image') ?? '',
      subdir: text(values, 'git-subdir') ?? '',
    };
  }
  const name = text(values, 'configmap') ?? 'ferry-project';
  checkName(name, 'configmap');
  return { kind: 'configmap', name };
}

export const renderCommand: CommandSpec = {
  name: 'render',
  summary:
    'Render deployment manifests: `ferry render kubernetes` writes one CronJob per scheduled pipeline.',
  usage:
    'ferry render kubernetes [--out DIR] [--image IMAGE] [--namespace NS] [--config-from configmap|git-sync] [--secret NAME] [--service-account NAME] [--state-pvc CLAIM]',
  description:
    'Each CronJob runs `ferry apply --pipeline NAME` on the pipeline’s schedule in its time zone, with\n' +
    'concurrencyPolicy: Forbid and a startingDeadlineSeconds that catches a missed run up once (or skips it\n' +
    'with catch_up: false). The project comes from a ConfigMap (written too) or a git-sync init container;\n' +
    'credentials from a Secret (its keys become the environment the ${env:…} references read) and/or a\n' +
    'service account (the AWS default chain: IRSA, EKS Pod Identity). Runs from several schedulers stay\n' +
    'apart through the state backend’s locks: use state {kind: s3}, or --state-pvc for local state.',
  options: {
    project: { type: 'string', short: 'p', description: 'Project file.', default: 'ferry.yaml' },
    pipeline: { type: 'string', multiple: true, description: 'Only this pipeline (repeatable).' },
    out: { type: 'string', short: 'o', description: 'Write one file per object into this directory.' },
    image: {
      type: 'string',
      description: 'The ferry image (built from the Dockerfile).',
      default: 'ferry:latest',
    },
    namespace: {
      type: 'string',
      description: 'Namespace of every object (default: none, kubectl’s current).',
    },
    'config-from': {
      type: 'string',
      description: 'Where pods get the project from.',
      choices: ['configmap', 'git-sync'],
      default: 'configmap',
    },
    configmap: {
      type: 'string',
      description: 'Name of the ConfigMap with the project’s files.',
      default: 'ferry-project',
    },
    'git-repo': { type: 'string', description: 'git-sync: the repository URL.' },
    'git-ref': { type: 'string', description: 'git-sync: branch, tag or commit.', default: 'main' },
    'git-subdir': { type: 'string', description: 'git-sync: the directory of ferry.yaml in the repository.' },
    'git-sync-image': {
      type: 'string',
      description: 'git-sync: its image.',
      default: 'registry.k8s.io/git-sync/git-sync:v4.4.0',
    },
    secret: {
      type: 'string',
      description: 'A Secret whose keys become environment variables (the ${env:…} references).',
    },
    'service-account': {
      type: 'string',
      description: 'Service account of the pods (AWS credentials by IRSA / Pod Identity).',
    },
    'state-pvc': {
      type: 'string',
      description: 'PersistentVolumeClaim for local state (state: {kind: local}).',
    },
    cpu: { type: 'string', description: 'CPU request per run.', default: '500m' },
    memory: { type: 'string', description: 'Memory request per run.', default: '1Gi' },
    'memory-limit': { type: 'string', description: 'Memory limit per run.', default: '4Gi' },
  },
  examples: [
    'ferry render kubernetes --image registry.example.com/ferry:1.2.0 --secret ferry-env --state-pvc ferry-state',
    'ferry render kubernetes --config-from git-sync --git-repo https://github.com/acme/data-pipelines --service-account ferry --out k8s/',
  ],
  run: async ({ values, positionals, cwd, env, output }) => {
    if (positionals.length !== 1 || positionals[0] !== 'kubernetes') {
      throw new UsageError('Name what to render: `ferry render kubernetes` (the only target so far).');
    }
    for (const flag of ['namespace', 'secret', 'service-account', 'state-pvc'])
      checkName(text(values, flag), flag);
    for (const flag of ['cpu', 'memory', 'memory-limit']) {
      const value = text(values, flag) ?? '';
      if (!QUANTITY.test(value))
        throw new UsageError(`--${flag} must be a Kubernetes quantity such as 500m, 1Gi (got "${value}").`);
    }
    const loaded = loadValidProject({ values, cwd, env, output });
    if (!loaded) return ExitCode.invalidConfig;
    const only = (values['pipeline'] as string[] | undefined) ?? [];
    const unknown = only.filter((name) => !loaded.pipelines.some((p) => p.name === name));
    if (unknown.length) throw new UsageError(`no pipeline named ${unknown.map((n) => `"${n}"`).join(', ')}.`);
    const { project } = loaded;
    const files = loaded.files.map((file) => ({
      path: relative(project.directory, resolve(cwd, file)).split('\\').join('/'),
      text: loaded.sources.get(file) ?? '',
    }));
    const projectFile = relative(project.directory, resolve(cwd, String(values['project'])));
    const namespace = text(values, 'namespace');
    const secret = text(values, 'secret');
    const serviceAccount = text(values, 'service-account');
    const statePvc = text(values, 'state-pvc');
    const { objects, problems } = compileKubernetes(
      {
        project,
        pipelines: only.length ? loaded.pipelines.filter((p) => only.includes(p.name)) : loaded.pipelines,
        files,
        projectFile: isAbsolute(projectFile) ? 'ferry.yaml' : projectFile,
      },
      {
        image: String(values['image']),
        configFrom: configSource(values),
        resources: {
          cpuRequest: String(values['cpu']),
          memoryRequest: String(values['memory']),
          memoryLimit: String(values['memory-limit']),
        },
        ...(namespace ? { namespace } : {}),
        ...(secret ? { secret } : {}),
        ...(serviceAccount ? { serviceAccount } : {}),
        ...(statePvc ? { statePvc } : {}),
      },
    );
    if (problems.length)
      output.stderr(
        renderProblemsText(problems, { sources: loaded.sources, color: output.color, omitted: 0 }),
      );
    if (hasErrors(problems)) return ExitCode.invalidConfig;
    const out = text(values, 'out');
    if (out === undefined) {
      output.stdout(renderKubernetesStream(objects));
      return ExitCode.ok;
    }
    const directory = resolve(cwd, out);
    await mkdir(directory, { recursive: true });
    for (const object of objects) {
      await writeFile(join(directory, kubernetesFileName(object)), renderKubernetesObject(object));
    }
    output.stderr(`Wrote ${objects.length} manifest${objects.length === 1 ? '' : 's'} to ${out}.\n`);
    return ExitCode.ok;
  },
};
