/**
 * `ferry state list|show|rollback|repair|unlock|migrate`: look at what ferry remembers, put a dataset
 * back to an earlier version, rebuild a lost manifest, remove a lock whose holder is gone, or move a
 * local state up to S3. Every action works on the state the project configures, local or S3.
 */
import { hostname } from 'node:os';
import { ExitCode } from '../../errors/exit-codes.js';
import { FerryError } from '../../errors/ferry-error.js';
import { migrateProjectState } from '../../run/migrate-project-state.js';
import { openStateStore } from '../../run/open-state-store.js';
import { releaseQuarantined } from '../../run/release-quarantined.js';
import { repairDataset } from '../../run/repair-dataset.js';
import { createRunId } from '../../run/run-pipeline.js';
import { createS3Access } from '../../run/run-project.js';
import type { QuarantinedObject } from '../../state/pipeline-state.js';
import type { LockStatus } from '../../state/state-lock.js';
import type { StateStore } from '../../state/state-store.js';
import { UsageError, type CommandContext, type CommandSpec } from '../command.js';
import { loadValidProject, type ValidProject } from '../load-valid-project.js';
import type { Output } from '../output.js';

export const stateCommand: CommandSpec = {
  name: 'state',
  summary:
    'Inspect state (list, show), roll a dataset back, rebuild a lost manifest, remove a stale lock, or move local state to S3.',
  usage:
    'ferry state list | show PIPELINE | rollback DATASET [--to VERSION] | repair DATASET | unlock PIPELINE [--lock-id ID]\n' +
    '       ferry state release PIPELINE KEY\n' +
    '       ferry state migrate --to s3 [--from DIR] [--force]',
  description:
    'list      every pipeline and dataset with its last run / current version\n' +
    'show      one pipeline’s state as JSON (processed files, cursor, snapshot, quarantined files, history)\n' +
    'release   take a quarantined source file (refused by a guard or check) out of quarantine: the next run\n' +
    '          takes it again (docs/guards.md)\n' +
    'rollback  make an earlier kept version of a dataset current again (default: the previous one)\n' +
    'repair    rebuild a dataset’s lost or damaged manifest from its version files (the newest becomes current)\n' +
    'unlock    remove a pipeline’s lock: at once when it expired, its holder ran on this machine and is gone\n' +
    '          (local state only), or the lock is damaged; otherwise only with --lock-id (the run id\n' +
    '          `ferry state list` shows)\n' +
    'migrate   copy a local state directory (--from, default state) to the S3 state ferry.yaml now configures,\n' +
    '          reading every object back to verify it; refuses a target that already has state (--force\n' +
    '          overwrites) and a source a run is still working on. Locks are not copied.',
  options: {
    project: { type: 'string', short: 'p', description: 'Project file.', default: 'ferry.yaml' },
    'lock-id': {
      type: 'string',
      description: 'unlock: the run id of the lock to remove (a holder on another host).',
    },
    to: { type: 'string', description: 'rollback: the version to make current. migrate: the backend (s3).' },
    from: {
      type: 'string',
      description: 'migrate: the local state directory to copy, relative to the project file.',
      default: 'state',
    },
    force: { type: 'boolean', description: 'migrate: copy even if the target already holds state.' },
  },
  examples: [
    'ferry state list',
    'ferry state show vendor-accounts-csv',
    'ferry state rollback accounts --to 3',
    'ferry state release vendor-accounts-csv acme/accounts/accounts_20261206.csv',
    'ferry state unlock vendor-accounts-csv --lock-id 20261206T030000Z-1a2b3c4d',
    'ferry state migrate --to s3 --from state',
  ],
  run: async (context) => {
    const { values, positionals, output } = context;
    const [action, name, key] = positionals;
    const loaded = loadValidProject(context);
    if (!loaded) return ExitCode.invalidConfig;
    const access = createS3Access(loaded.project, context.env);
    try {
      const store = openStateStore(loaded.project, { s3: access.s3 });
      if (action === 'release') return await release(loaded, store, name, key, output);
      return await runAction(action, name, { loaded, store, values, output });
    } finally {
      access.destroy();
    }
  },
};

async function runAction(
  action: string | undefined,
  name: string | undefined,
  input: { loaded: ValidProject; store: StateStore; values: CommandContext['values']; output: Output },
): Promise<ExitCode> {
  const { loaded, store, values, output } = input;
  switch (action) {
    case 'list':
      output.stdout(await listState(loaded, store));
      return ExitCode.ok;
    case 'show': {
      requirePipeline(loaded, name, 'show');
      output.stdout(JSON.stringify((await store.readPipelineState(name)).state, null, 2) + '\n');
      return ExitCode.ok;
    }
    case 'rollback': {
      requireDataset(loaded, name, 'rollback');
      const to = values['to'] === undefined ? undefined : Number(values['to']);
      if (to !== undefined && !Number.isInteger(to)) throw new UsageError('--to must be a version number.');
      const lock = await store.acquireDatasetLock(name, { runId: `rollback-${createRunId(new Date())}` });
      try {
        const manifest = await store.datasets.rollback(name, to);
        output.stdout(`Dataset ${name} is at version ${String(manifest.current)} now.\n`);
      } finally {
        await lock.release();
      }
      return ExitCode.ok;
    }
    case 'repair': {
      requireDataset(loaded, name, 'repair');
      const manifest = await repairDataset(store, name);
      output.stdout(
        `Rebuilt the manifest of dataset ${name} from ${manifest.versions.length} version file(s); version ${String(manifest.current)} is current.\n`,
      );
      return ExitCode.ok;
    }
    case 'unlock':
      requirePipeline(loaded, name, 'unlock');
      return unlock(store, name, values['lock-id'], output);
    case 'migrate':
      return migrate(loaded, store, values, output);
    case undefined:
      throw new UsageError('say what to do: list, show, rollback, repair, unlock, release or migrate.');
    default:
      throw new UsageError(`unknown state action "${action}".`);
  }
}

async function release(
  loaded: ValidProject,
  store: StateStore,
  pipeline: string | undefined,
  key: string | undefined,
  output: Output,
): Promise<ExitCode> {
  requirePipeline(loaded, pipeline, 'release');
  if (!key) throw new UsageError('state release needs the quarantined object key after the pipeline name.');
  const entry = await releaseQuarantined(store, {
    pipeline,
    key,
    runId: `release-${createRunId(new Date())}`,
  });
  output.stdout(
    `Released ${key} (quarantined ${entry.at}, ${entry.code}); the next run of ${pipeline} takes it again.\n`,
  );
  return ExitCode.ok;
}

async function migrate(
  loaded: ValidProject,
  store: StateStore,
  values: CommandContext['values'],
  output: Output,
): Promise<ExitCode> {
  if (values['to'] !== 's3') throw new UsageError('state migrate needs --to s3 (the only target so far).');
  const result = await migrateProjectState({
    project: loaded.project,
    store,
    fromDirectory: String(values['from']),
    force: values['force'] === true,
    onCopied: (blob) => output.stdout(`  copied ${blob.key} (${blob.bytes} bytes)\n`),
  });
  const bytes = result.copied.reduce((sum, b) => sum + b.bytes, 0);
  const lines = [
    `Migrated ${result.copied.length} objects (${bytes} bytes) from ${result.from} to ${result.to}; each one read back and verified.`,
    ...result.staleLocks.map((key) => `Not copied: ${key} (the lock of a run that is gone).`),
    ...result.keptInTarget.map((key) => `Left as it was in the target (not in the source): ${key}.`),
    result.target.support === 'enforced'
      ? `${result.to} enforces conditional writes: runs are locked there.`
      : `WARNING: ${result.to} does not enforce conditional writes (${result.target.how}): apply refuses to run there unless state.lock is unsafe-single-writer.`,
    `${loaded.project.file} now uses ${result.to}; ${result.from} is no longer read. Keep it until a \`ferry plan\` against the new state looks right, then remove it.`,
  ];
  output.stdout(lines.join('\n') + '\n');
  return ExitCode.ok;
}

async function listState(loaded: ValidProject, store: StateStore): Promise<string> {
  const lines: string[] = [`state in ${store.location}`];
  for (const pipeline of [...loaded.pipelines].sort((a, b) => a.name.localeCompare(b.name))) {
    const { state } = await store.readPipelineState(pipeline.name);
    const last = state.lastSuccessfulRun;
    const lock = await store.readPipelineLock(pipeline.name);
    const locked =
      lock.kind === 'held'
        ? ` (locked by run ${lock.info.runId} on ${lock.info.host} until ${lock.info.expiresAt})`
        : lock.kind === 'corrupt'
          ? ' (a damaged lock: `ferry state unlock` removes it)'
          : '';
    lines.push(
      `pipeline ${pipeline.name}: ${last ? `last run ${last.runId} ${last.finishedAt}, ${state.processed.length} files processed` : 'never applied'}${quarantinedOf(state.quarantined)}${locked}`,
    );
  }
  for (const name of Object.keys(loaded.project.datasets).sort()) {
    try {
      const manifest = await store.datasets.readManifest(name);
      const current = manifest.versions.find((v) => v.version === manifest.current);
      lines.push(
        `dataset ${name}: ${current ? `version ${current.version} (${current.rows} rows, by ${current.pipeline} at ${current.createdAt}); kept ${manifest.versions.map((v) => v.version).join(', ')}` : 'empty'}`,
      );
    } catch (error) {
      if (!(error instanceof FerryError)) throw error;
      lines.push(`dataset ${name}: ${error.code}: ${error.message}`);
    }
  }
  return lines.join('\n') + '\n';
}

function quarantinedOf(quarantined: QuarantinedObject[] | undefined): string {
  if (!quarantined?.length) return '';
  return `, ${quarantined.length} quarantined (${quarantined.map((q) => `${q.key}: ${q.code}`).join(', ')})`;
}

/**
 * Removes a lock only when no live run can hold it: the holder ran here and its process is gone, the
 * lock expired, or the lock is damaged (nobody can be shown as its holder). A holder elsewhere that
 * has not expired may still be running: only its lock id (as with `terraform force-unlock`) says
 * the person checked.
 */
async function unlock(
  store: StateStore,
  pipeline: string,
  lockId: unknown,
  output: Output,
): Promise<ExitCode> {
  const status: LockStatus = await store.readPipelineLock(pipeline);
  if (status.kind === 'free') {
    output.stdout(`Pipeline ${pipeline} is not locked.\n`);
    return ExitCode.ok;
  }
  if (status.kind === 'corrupt') {
    await store.removePipelineLock(pipeline, status.blob.version);
    output.stdout(`Removed the damaged lock of pipeline ${pipeline} (${status.reason}).\n`);
    return ExitCode.ok;
  }
  const holder = status.info;
  const gone = store.lockHolderIsGone(holder) || Date.parse(holder.expiresAt) < Date.now();
  // On this machine we can see the holder is alive: no lock id overrides that (local state only:
  // on shared state another machine may have the same host name).
  const live = !gone && holder.host === hostname() && !store.blobs.sharedAcrossHosts;
  if (live || (!gone && lockId !== holder.runId)) {
    throw new FerryError(
      'LOCK_HELD',
      `Pipeline ${pipeline} is locked by run ${holder.runId} on ${holder.host} (pid ${holder.pid}) until ${holder.expiresAt}; that run may still be working.`,
      {
        context: { pipeline, lockOwner: holder.owner, lockId: holder.runId },
        hint: live
          ? `Its process (pid ${holder.pid}) is running on this machine: wait for it to finish, or stop it.`
          : `If you are sure it is gone, run \`ferry state unlock ${pipeline} --lock-id ${holder.runId}\`.`,
      },
    );
  }
  await store.removePipelineLock(pipeline, status.blob.version);
  output.stdout(
    `Removed the lock of run ${holder.runId} (${holder.host}, pid ${holder.pid}) on pipeline ${pipeline}.\n`,
  );
  return ExitCode.ok;
}

function requirePipeline(
  loaded: ValidProject,
  name: string | undefined,
  action: string,
): asserts name is string {
  if (!name) throw new UsageError(`state ${action} needs a pipeline name.`);
  if (!loaded.pipelines.some((p) => p.name === name)) {
    throw new UsageError(
      `no pipeline named "${name}"; the project has ${loaded.pipelines.map((p) => p.name).join(', ')}.`,
    );
  }
}

function requireDataset(
  loaded: ValidProject,
  name: string | undefined,
  action: string,
): asserts name is string {
  if (!name) throw new UsageError(`state ${action} needs a dataset name.`);
  if (!loaded.project.datasets[name]) {
    throw new UsageError(
      `no dataset named "${name}"; the project has ${Object.keys(loaded.project.datasets).join(', ') || 'none'}.`,
    );
  }
}
