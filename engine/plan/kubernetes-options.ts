/** Options of `ferry render kubernetes` (engine/cli/commands/render.ts builds them from flags). */

export type ConfigSource =
  | { kind: 'configmap'; name: string }
  | { kind: 'git-sync'; repo: string; ref: string; image: string; subdir: string };

export interface KubernetesOptions {
  image: string;
  namespace?: string;
  configFrom: ConfigSource;
  /** A Secret whose keys become environment variables (the `${env:…}` references of the project). */
  secret?: string;
  /** A service account (IRSA, EKS Pod Identity, GKE Workload Identity): AWS's default credential chain. */
  serviceAccount?: string;
  /** A PersistentVolumeClaim for local state (`state: {kind: local}`). */
  statePvc?: string;
  resources: { cpuRequest: string; memoryRequest: string; memoryLimit: string };
}
