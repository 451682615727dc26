/**
 * The pod of one pipeline's CronJob: `ferry apply --pipeline NAME` as the image's non-root user with a
 * read-only root filesystem, the project from a ConfigMap (each file mounted into a writable
 * /project) or cloned by a git-sync init container, credentials from a Secret (environment variables
 * for the `${env:…}` references) and/or a service account (the AWS default chain), local state on a
 * PersistentVolumeClaim when there is no S3 state backend.
 */
import type { ConfigSource, KubernetesOptions } from './kubernetes-options.js';

export interface PodOptions extends Omit<KubernetesOptions, 'namespace'> {
  configFrom: ConfigSource;
  configItems: Array<{ key: string; path: string }>;
  projectFile: string;
  /** Local state directory, relative to the project. */
  stateDirectory?: string;
}

const PROJECT = '/project';
const GIT_ROOT = '/git';
/** The `node` user of the node:22-slim image (Dockerfile: USER node). */
const NODE_UID = 1000;

export function compileKubernetesPod(pipeline: string, options: PodOptions): Record<string, unknown> {
  const git = options.configFrom.kind === 'git-sync' ? options.configFrom : undefined;
  const workingDir = git
    ? `${GIT_ROOT}/project${git.subdir ? `/${git.subdir.replace(/^\/+|\/+$/g, '')}` : ''}`
    : PROJECT;
  const volumes: Record<string, unknown>[] = [{ name: 'tmp', emptyDir: {} }];
  const mounts: Record<string, unknown>[] = [{ name: 'tmp', mountPath: '/tmp' }];
  if (git) {
    volumes.push({ name: 'git', emptyDir: {} });
    mounts.push({ name: 'git', mountPath: GIT_ROOT, readOnly: true });
  } else if (options.configFrom.kind === 'configmap') {
    volumes.push(
      { name: 'project', emptyDir: {} },
      { name: 'config', configMap: { name: options.configFrom.name } },
    );
    mounts.push({ name: 'project', mountPath: PROJECT });
    for (const item of options.configItems) {
      mounts.push({
        name: 'config',
        mountPath: `${PROJECT}/${item.path}`,
        subPath: item.key,
        readOnly: true,
      });
    }
  }
  if (options.stateDirectory !== undefined && options.statePvc !== undefined) {
    volumes.push({ name: 'state', persistentVolumeClaim: { claimName: options.statePvc } });
    mounts.push({ name: 'state', mountPath: `${workingDir}/${options.stateDirectory}` });
  }
  const securityContext = {
    runAsNonRoot: true,
    runAsUser: NODE_UID,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ['ALL'] },
  };
  const container = {
    name: 'ferry',
    image: options.image,
    command: ['ferry'],
    args: ['apply', '--pipeline', pipeline, '--project', options.projectFile],
    workingDir,
    ...(options.secret ? { envFrom: [{ secretRef: { name: options.secret } }] } : {}),
    env: [{ name: 'TMPDIR', value: '/tmp' }],
    resources: {
      requests: { cpu: options.resources.cpuRequest, memory: options.resources.memoryRequest },
      limits: { memory: options.resources.memoryLimit },
    },
    volumeMounts: mounts,
    securityContext,
  };
  const initContainers = git
    ? [
        {
          name: 'git-sync',
          image: git.image,
          args: [
            `--repo=${git.repo}`,
            `--ref=${git.ref}`,
            `--root=${GIT_ROOT}`,
            '--link=project',
            '--one-time',
          ],
          // A private repository: GITSYNC_USERNAME / GITSYNC_PASSWORD (or an SSH key) from the same Secret.
          ...(options.secret ? { envFrom: [{ secretRef: { name: options.secret } }] } : {}),
          volumeMounts: [{ name: 'git', mountPath: GIT_ROOT }],
          securityContext,
        },
      ]
    : [];
  return {
    restartPolicy: 'Never',
    ...(options.serviceAccount
      ? { serviceAccountName: options.serviceAccount }
      : { automountServiceAccountToken: false }),
    securityContext: {
      runAsNonRoot: true,
      runAsUser: NODE_UID,
      runAsGroup: NODE_UID,
      fsGroup: NODE_UID,
      seccompProfile: { type: 'RuntimeDefault' },
    },
    ...(initContainers.length ? { initContainers } : {}),
    containers: [container],
    volumes,
  };
}
