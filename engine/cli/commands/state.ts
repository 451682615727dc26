/**
 * `ferry state list|show|rollback|unlock`: look at what ferry remembers, put a dataset back to an
 * earlier version, or remove a lock whose holder is gone. Reads the local state backend.
 */
import { loadValidProject } from '../load-valid-project.js';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ExitCode } from '../../errors/exit-codes.js';
import { FerryError } from '../../errors/ferry-error.js';
import { DatasetStore } from '../../state/dataset-store.js';
import { LocalStateStore } from '../../state/local-state-store.js';
import { UsageError, type CommandSpec } from '../command.js';

export const stateCommand: CommandSpec = {
  name: 'state',
  summary: 'Inspect state (list, show), roll a dataset back to an earlier version, or remove a stale lock.',
  usage: 'ferry state list | show PIPELINE | rollback DATASET [--to VERSION] | unlock PIPELINE',
  description:
    'list      every pipeline and dataset with its last run / current version\n' +
    'show      one pipeline’s state as JSON (processed files, cursor, snapshot, history)\n' +
    'rollback  make an earlier kept version of a dataset current again (default: the previous one)\n' +
    'unlock    remove a pipeline’s lock file (only when the run that holds it is gone)',
  options: {
    project: { type: 'string', short: 'p', description: 'Project file.', default: 'ferry.yaml' },
    to: { type: 'string', description: 'rollback: the version to make current.' },
  },
  examples: [
    'ferry state list',
    'ferry state show vendor-accounts-csv',
    'ferry state rollback accounts --to 3',
  ],
  run: async (context) => {
    const { values, positionals, output } = context;
    const [action, name] = positionals;
    const loaded = loadValidProject(context);
    if (!loaded) return ExitCode.invalidConfig;
    const project = loaded.project;
    if (project.state.kind !== 'local')
      throw new FerryError('NOT_SUPPORTED_YET', 'Only the local state backend is supported.');
    const store = new LocalStateStore(project.state.directory);
    const datasets = new DatasetStore(project.state.directory);
    switch (action) {
      case 'list': {
        const lines: string[] = [];
        for (const pipeline of [...loaded.pipelines].sort((a, b) => a.name.localeCompare(b.name))) {
          const state = await store.readPipelineState(pipeline.name);
          const last = state.lastSuccessfulRun;
          const lock = await store.readLock(pipeline.name);
          lines.push(
            `pipeline ${pipeline.name}: ${last ? `last run ${last.runId} ${last.finishedAt}, ${state.processed.length} files processed` : 'never applied'}${lock ? ` (locked by ${lock.runId} until ${lock.expiresAt})` : ''}`,
          );
        }
        for (const name of Object.keys(project.datasets).sort()) {
          const manifest = await datasets.readManifest(name);
          const current = manifest.versions.find((v) => v.version === manifest.current);
          lines.push(
            `dataset ${name}: ${current ? `version ${current.version} (${current.rows} rows, by ${current.pipeline} at ${current.createdAt}); kept ${manifest.versions.map((v) => v.version).join(', ')}` : 'empty'}`,
          );
        }
        output.stdout(lines.join('\n') + '\n');
        return ExitCode.ok;
      }
      case 'show': {
        if (!name) throw new UsageError('state show needs a pipeline name.');
        requirePipeline(loaded.pipelines, name);
        output.stdout(JSON.stringify(await store.readPipelineState(name), null, 2) + '\n');
        return ExitCode.ok;
      }
      case 'rollback': {
        if (!name) throw new UsageError('state rollback needs a dataset name.');
        if (!project.datasets[name])
          throw new FerryError('CONFIG_UNKNOWN_DATASET', `Unknown dataset "${name}".`);
        const to = values['to'] === undefined ? undefined : Number(values['to']);
        if (to !== undefined && !Number.isInteger(to)) throw new UsageError('--to must be a version number.');
        const lock = await store.acquireDatasetLock(name, { runId: `rollback-${Date.now()}` });
        try {
          const manifest = await datasets.rollback(name, to);
          output.stdout(`Dataset ${name} is at version ${String(manifest.current)} now.\n`);
        } finally {
          await lock.release();
        }
        return ExitCode.ok;
      }
      case 'unlock': {
        if (!name) throw new UsageError('state unlock needs a pipeline name.');
        requirePipeline(loaded.pipelines, name);
        const lock = await store.readLock(name);
        if (!lock) {
          output.stdout(`Pipeline ${name} is not locked.\n`);
          return ExitCode.ok;
        }
        await rm(join(store.pipelineDir(name), 'lock.json'), { force: true });
        output.stdout(
          `Removed the lock of run ${lock.runId} (${lock.host}, pid ${lock.pid}) on pipeline ${name}.\n`,
        );
        return ExitCode.ok;
      }
      case undefined:
        throw new UsageError('say what to do: list, show, rollback or unlock.');
      default:
        throw new UsageError(`unknown state action "${action}".`);
    }
  },
};

function requirePipeline(pipelines: ReadonlyArray<{ name: string }>, name: string): void {
  if (!pipelines.some((p) => p.name === name)) {
    throw new FerryError('UNKNOWN_PIPELINE', `No pipeline named "${name}".`, {
      hint: `Pipelines: ${pipelines.map((p) => p.name).join(', ')}.`,
    });
  }
}
